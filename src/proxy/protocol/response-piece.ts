/**
 * What the response writer sends: small pieces in memory, big literals (a FETCH body section) as
 * streams it pulls only when the socket has room. Protocol level: any response may be made of them.
 */
export type ResponsePiece = Buffer | { length: number; open(): NodeJS.ReadableStream };
