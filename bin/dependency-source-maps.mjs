/**
 * A module-loader hook that drops the `//# sourceMappingURL=` comment from dependencies' ES
 * modules. tsx turns Node's source-map support on (for our TypeScript's stack traces), and with it
 * on Node reads, parses and keeps the .map file of EVERY loaded module: for @solana/kit,
 * @sqds/multisig, spl-token and the rest that is tens of MB of heap the service never uses. Our own
 * files (transformed by tsx, maps inline) keep their maps; dependencies' stack frames point at
 * their published JavaScript, as they would under plain node.
 */
// Every such line: some packages carry the comment twice.
const COMMENT = /^\/\/# sourceMappingURL=.*$/gm;

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || result.source == null || !url.includes('/node_modules/')) return result;
  const text = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
  return text.includes('//# sourceMappingURL=') ? { ...result, source: text.replace(COMMENT, '') } : result;
}
