/**
 * `Cache-Control` of the lists a browser polls (catalogue, order list): `private` — a shared cache (CDN,
 * proxy) never stores them (a signed-in buyer's catalogue and order list are theirs alone, and the anonymous
 * catalogue answers the same URL); `no-cache` — the browser may keep a copy but asks every time with
 * If-None-Match, which costs a 304 without a body while nothing changed.
 */
export const PERSONAL_REVALIDATE = 'private, no-cache';
