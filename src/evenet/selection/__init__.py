"""Object definitions, overlap removal, named preselections and cutflows."""
