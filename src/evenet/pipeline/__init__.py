"""The data stages of the DAG: ingest (ROOT -> events), select (-> selected events + truth), build (-> HDF5), normalize."""
