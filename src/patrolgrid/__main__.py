from patrolgrid.cli import app

app()
