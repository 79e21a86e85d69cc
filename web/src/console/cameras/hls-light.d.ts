/** hls.js's light build has the same API as the full one; its package ships no types for it. */
declare module 'hls.js/light' {
  import Hls from 'hls.js'
  export default Hls
}
