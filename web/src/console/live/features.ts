/** The people layer's GeoJSON: one point per person with a position, in display coordinates. */
import type { FeatureCollection, Point } from 'geojson'
import type { LivePerson, LonLat } from '@/shared/types'
import { hasPosition } from './filter'

export interface PersonFeatureProperties {
  person_id: number
  name: string
  status: string
}

/** What the map last drew for a person (WGS-84), for the browser test hooks. */
export interface RenderedPerson {
  lon: number
  lat: number
  status: string
}

export function peopleCollection(
  people: Iterable<LivePerson>,
  toDisplay: (p: LonLat) => LonLat,
): FeatureCollection<Point, PersonFeatureProperties> {
  const features: FeatureCollection<Point, PersonFeatureProperties>['features'] = []
  for (const person of people) {
    if (!hasPosition(person)) continue
    features.push({
      type: 'Feature',
      properties: { person_id: person.person_id, name: person.name, status: person.status },
      geometry: { type: 'Point', coordinates: toDisplay([person.lon, person.lat]) },
    })
  }
  return { type: 'FeatureCollection', features }
}

/**
 * Feeds the people source: builds the collection, hands it to MapLibre, and remembers what was
 * drawn. The caller decides when (the live store changes at most once a second; filters at once).
 */
export class PeopleRenderer {
  readonly rendered = new Map<number, RenderedPerson>()
  renders = 0

  constructor(
    private readonly setData: (data: FeatureCollection<Point, PersonFeatureProperties>) => void,
    private readonly toDisplay: (p: LonLat) => LonLat,
  ) {}

  render(people: readonly LivePerson[]): number {
    const collection = peopleCollection(people, this.toDisplay)
    this.setData(collection)
    this.rendered.clear()
    for (const person of people) {
      if (hasPosition(person)) {
        this.rendered.set(person.person_id, { lon: person.lon, lat: person.lat, status: person.status })
      }
    }
    this.renders += 1
    return collection.features.length
  }
}
