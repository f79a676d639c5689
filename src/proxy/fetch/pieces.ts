/** A FETCH response is a list of pieces: small ones in memory, big literals as streams the writer pulls. */
export type ResponsePiece = Buffer | { length: number; open(): NodeJS.ReadableStream };
