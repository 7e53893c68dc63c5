"""One module per ``evenet bench <what>`` benchmark; each prints events/s and a ratio to a floor or peer."""
