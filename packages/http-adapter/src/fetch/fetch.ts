import { fetch as undiciFetch } from 'undici';

/**
 * undici 7's `fetch`, the one that accepts a {@link createSecureDispatcher} dispatcher on every
 * supported Node version: `fetch(url, { dispatcher })`. (Node's global `fetch` is the undici bundled
 * with Node — 6.x on Node 20 — whose dispatcher interface is not guaranteed to match.)
 */
export const fetch: typeof undiciFetch = undiciFetch;
