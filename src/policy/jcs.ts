/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) and the sha256 used over it.
 * Policy revisions, decision ids and audit entry hashes (docs/policy.md, docs/rules.md#the-decision, docs/audit.md) are hashes of this form,
 * so two equal values always serialise to the same bytes whatever their key order or source format.
 */
import { createHash } from 'node:crypto';

/** Thrown when a value has no JSON (I-JSON) form: JCS refuses it rather than guess. */
export class CanonicalizeError extends Error {
  override readonly name = 'CanonicalizeError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`JCS: ${path}: ${reason}`);
  }
}

/**
 * The RFC 8785 canonical JSON text of `value`: object keys sorted by UTF-16 code units, numbers in
 * ECMAScript `Number.prototype.toString` form (-0 becomes 0), strings with JSON's minimal escapes,
 * no whitespace. Object properties whose value is `undefined` are omitted (as JSON.stringify does);
 * `undefined` in an array, a top-level `undefined`, NaN/Infinity, bigint (convert to a decimal string
 * first), functions, symbols, cycles and lone surrogates throw {@link CanonicalizeError}.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, '$', out, new Set());
  return out.join('');
}

function write(value: unknown, path: string, out: string[], stack: Set<object>): void {
  switch (typeof value) {
    case 'string':
      out.push(quote(value, path));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalizeError(path, `${value} has no JSON form`);
      // ES number serialisation is exactly what RFC 8785 §3.2.2.3 prescribes; String(-0) is "0".
      out.push(String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      throw new CanonicalizeError(path, 'bigint is not JSON; convert it to a decimal string first');
    case 'undefined':
      throw new CanonicalizeError(path, 'undefined is not JSON');
    case 'function':
    case 'symbol':
      throw new CanonicalizeError(path, `a ${typeof value} is not JSON`);
    case 'object':
      break;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const obj = value as object;
  // toJSON (e.g. Date) is honoured as JSON.stringify honours it.
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    write(toJSON.call(obj), path, out, stack);
    return;
  }
  if (stack.has(obj)) throw new CanonicalizeError(path, 'cyclic structure');
  stack.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    obj.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) throw new CanonicalizeError(`${path}[${i}]`, 'undefined inside an array is not JSON');
      write(item, `${path}[${i}]`, out, stack);
    });
    out.push(']');
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalizeError(path, `a ${obj.constructor?.name ?? 'non-plain'} object is not JSON`);
    }
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is RFC 8785 §3.2.3's order.
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(quote(k, path), ':');
      write(record[k], `${path}.${k}`, out, stack);
    });
    out.push('}');
  }
  stack.delete(obj);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quote(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizeError(path, 'string holds a lone surrogate (not I-JSON)');
  // JSON.stringify escapes exactly " \ and U+0000..U+001F (\b \t \n \f \r, else \u00xx lowercase),
  // which is RFC 8785 §3.2.2.2; with no lone surrogates it escapes nothing else.
  return JSON.stringify(s);
}

/** Lower-case hex sha256 of `data` (a string is hashed as its UTF-8 bytes). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
