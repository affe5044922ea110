// Assertions for tests: node:assert/strict under the names Deno users expect.
import assertStrict from "node:assert/strict";

export function assert(v: unknown, message?: string): asserts v {
  assertStrict.ok(v, message);
}
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assertStrict.deepStrictEqual(actual, expected, message);
}
export function assertMatch(actual: string, re: RegExp, message?: string): void {
  assertStrict.match(actual, re, message);
}
export function assertNotMatch(actual: string, re: RegExp, message?: string): void {
  assertStrict.doesNotMatch(actual, re, message);
}
export async function assertRejects(
  fn: () => Promise<unknown>,
  check?: (e: unknown) => boolean,
): Promise<void> {
  await assertStrict.rejects(fn, (e: unknown) => check ? check(e) : true);
}
export function assertThrows(fn: () => unknown, check?: (e: unknown) => boolean): void {
  assertStrict.throws(fn, (e: unknown) => check ? check(e) : true);
}
