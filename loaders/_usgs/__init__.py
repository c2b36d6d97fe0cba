"""USGS Mineral Commodity Summaries: the table readers behind `loaders/usgs_mcs.py`."""
