/** JSON for humans and machines at the edges: bigints as decimal strings, bytes as base64. */
export function toJsonText(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (v instanceof Map) return Object.fromEntries(v);
      return v;
    },
    indent,
  );
}
