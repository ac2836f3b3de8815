"""Football match prediction API: the system under rehearsal for footballpred.rehearsal."""
