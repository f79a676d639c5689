/** Placeholder: the MIME structure computed at ingest (refined by the MIME work). */
export interface MessageStructure {
  headerLength: number;
}
