/**
 * Peer validation at the client level. The actions live in `actions/validation.ts`; this module
 * re-exports them under their earlier path.
 *
 * @module
 */
export * from "./actions/validation.ts";
