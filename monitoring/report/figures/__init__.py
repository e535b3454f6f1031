"""Pure functions from results to plotly figures; colours and template in :mod:`.style`."""
