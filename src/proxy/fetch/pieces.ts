// Kept for the FETCH differential test, which imports the type from here; it lives in the protocol layer.
export type { ResponsePiece } from '../protocol/response-piece.js';
