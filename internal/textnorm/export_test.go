package textnorm

// AppendFull exposes the full pipeline so tests can compare it with the
// table-driven path.
var AppendFull = appendFull
