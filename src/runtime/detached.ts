/**
 * A copy of `text` that shares no memory with it. V8 makes a substring of 13 or more characters
 * (a regex capture, a slice) a view that keeps the whole original alive: a user id kept for a
 * minute from a callback's parsed XML holds all of that XML, and under a burst from many users
 * those are megabytes for the GC to move (docs/performance.md, Rate limiter). JSON's round trip
 * builds a new string, cheaply.
 */
export function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
