"""Input readers as plain generators of Records and Drops; the Beam wiring lives in `pipeline.build`."""
