import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalize, CanonicalizeError, sha256Hex } from '../../src/policy/jcs.ts';

/** The IEEE-754 double whose bits are `hex` (RFC 8785 Appendix B lists numbers this way). */
const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

describe('RFC 8785 published examples', () => {
  it('canonicalizes the §3.2.2 example (literals, numbers, string escapes)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units, non-ASCII and surrogate pairs included (§3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // JS objects list "1" first; JCS puts "\r" (U+000D) before it.
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0 serialises as 0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'], // round to even
  ])('serialises the number with bits %s as %s (Appendix B)', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected);
    expect(canonicalize([fromBits(bits)])).toBe(`[${expected}]`);
  });

  it('writes 1e21 in exponent form and 1e20 in full', () => {
    expect(canonicalize({ a: 1e21, b: 1e20 })).toBe('{"a":1e+21,"b":100000000000000000000}');
  });

  it('escapes only ", \\ and control characters, with lower-case hex', () => {
    expect(canonicalize('\u0000\u001f\b\t\n\f\r"\\/\u007f\u2028é')).toBe('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028é"');
  });
});

describe('shape', () => {
  it('has no whitespace and sorts nested objects', () => {
    expect(canonicalize({ b: [1, { z: null, a: 'x' }], a: { d: true, c: false } })).toBe('{"a":{"c":false,"d":true},"b":[1,{"a":"x","z":null}]}');
  });

  it('omits object properties that are undefined, like JSON.stringify', () => {
    expect(canonicalize({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('gives equal text for equal values in any key order', () => {
    expect(canonicalize({ x: 1, y: [2, 3] })).toBe(canonicalize({ y: [2, 3], x: 1 }));
  });
});

describe('refusals', () => {
  it.each([
    ['NaN', NaN, /NaN has no JSON form/],
    ['Infinity', { a: [Infinity] }, /\$\.a\[0\]: Infinity has no JSON form/],
    ['-Infinity', -Infinity, /-Infinity/],
    ['a bigint', { amount: 5n }, /\$\.amount: bigint .*decimal string/],
    ['undefined inside an array', [1, undefined], /\$\[1\]: undefined inside an array/],
    ['a top-level undefined', undefined, /undefined is not JSON/],
    ['a function', { f: () => 1 }, /function is not JSON/],
    ['a lone surrogate', { s: '\ud800x' }, /lone surrogate/],
    ['a Map', new Map(), /Map object is not JSON/],
  ])('refuses %s with a clear error', (_name, value, message) => {
    expect(() => canonicalize(value)).toThrow(CanonicalizeError);
    expect(() => canonicalize(value)).toThrow(message);
  });

  it('refuses a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalize(a)).toThrow(/cyclic/);
  });
});

describe('sha256Hex', () => {
  it('hashes strings as UTF-8 and bytes as given', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(sha256Hex('abc'));
    expect(sha256Hex('€')).toBe(createHash('sha256').update(Buffer.from([0xe2, 0x82, 0xac])).digest('hex'));
  });
});
