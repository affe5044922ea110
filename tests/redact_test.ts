// The Redactor (trust rule 3): every form of a secret that a provider or a parser can make of it.
import { assert, assertEquals } from "./support/assert.ts";
import { keyLike } from "./support/keys.ts";
import { MIN_FRAGMENT, REDACTED, Redactor } from "../src/util/redact.ts";
import { providerMessage } from "../src/fetch/http.ts";

const KEY = keyLike("openrouter", "redact-1");
const ADMIN = keyLike("anthropic-admin", "redact-2");
const r = new Redactor([KEY, ADMIN]);

Deno.test("whole secrets, in any case, anywhere in a text", () => {
  assertEquals(r.redact(`bad key ${KEY}!`), `bad key ${REDACTED}!`);
  assertEquals(r.redact(`bad key ${KEY.toUpperCase()}`), `bad key ${REDACTED}`);
  assertEquals(r.redact(`${ADMIN.toLowerCase()} and ${KEY}`), `${REDACTED} and ${REDACTED}`);
  assertEquals(r.redact(`${KEY}${KEY}`), REDACTED);
  assertEquals(r.redact("nothing secret here"), "nothing secret here");
});

Deno.test("fragments of 12 or more characters; shorter ones stay", () => {
  assertEquals(r.redact(`prefix ${KEY.slice(0, 40)} end`), `prefix ${REDACTED} end`);
  assertEquals(r.redact(`all but the last: ${KEY.slice(0, -1)}`), `all but the last: ${REDACTED}`);
  assertEquals(r.redact(`tail ${KEY.slice(-MIN_FRAGMENT)}`), `tail ${REDACTED}`);
  // What providers show of a key on purpose (its last 4) is not redacted.
  const last4 = KEY.slice(-4);
  assertEquals(r.redact(`key ****${last4} is invalid`), `key ****${last4} is invalid`);
  assertEquals(r.redact(KEY.slice(5, 5 + MIN_FRAGMENT - 1)), KEY.slice(5, 5 + MIN_FRAGMENT - 1));
});

Deno.test("redacting before cutting leaves no piece of the key; cutting first would", () => {
  const message = `${"x".repeat(170)} ${KEY} ${"y".repeat(60)}`;
  const safe = providerMessage({ error: { message } }, (t) => r.redact(t))!;
  assert(!safe.includes(KEY.slice(0, MIN_FRAGMENT)), safe);
  assert(safe.includes(REDACTED));
  const unsafe = providerMessage({ error: { message } })!;
  assert(unsafe.includes(KEY.slice(0, 20)), "the old order leaked a prefix");
});

Deno.test("short secrets are replaced whole; tiny ones never", () => {
  const s = new Redactor(["pw-1234", "ab"]);
  assertEquals(s.redact("pw-1234 / PW-1234 / pw-123"), `${REDACTED} / ${REDACTED} / pw-123`);
  assertEquals(s.redact("ab abc"), "ab abc");
  assertEquals(new Redactor([]).redact(KEY), KEY);
});

Deno.test("with() adds secrets without changing the original", () => {
  const more = new Redactor([KEY]).with([ADMIN]);
  assertEquals(more.redact(ADMIN), REDACTED);
  assertEquals(new Redactor([KEY]).redact(ADMIN), ADMIN);
});

Deno.test("a 2 MB text against 201 secrets is redacted in linear time", () => {
  const big = "a".repeat(1_000_000) + KEY + "b".repeat(1_000_000);
  const started = performance.now();
  const out = new Redactor(Array.from({ length: 200 }, (_, i) => keyLike("openai", `k${i}`)))
    .with([KEY]).redact(big);
  const took = performance.now() - started;
  assertEquals(out.length, 2_000_000 + REDACTED.length);
  assert(took < 3_000, `took ${took} ms`);
});
