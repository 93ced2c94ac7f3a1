/** Callback data (docs/telegram.md): `<a|r|y|n>:<proposal row id>:<digest[0..16]>:<epoch>`, ≤ 64 bytes; anything else refused. */
import { describe, expect, it } from 'vitest';
import { formatCallback, parseCallback } from '../../src/telegram/callback.ts';
import { errorText, redactToken } from '../../src/telegram/redact.ts';

describe('callback data', () => {
  it('round-trips each action', () => {
    for (const action of ['approve', 'reject', 'confirm-reject', 'cancel-reject'] as const) {
      const d = { action, rowId: 12, digestPrefix: '0123456789abcdef', epoch: 3 };
      expect(parseCallback(formatCallback(d))).toEqual(d);
    }
    expect(formatCallback({ action: 'approve', rowId: 12, digestPrefix: '0123456789abcdef', epoch: 3 })).toBe('a:12:0123456789abcdef:3');
  });

  it('accepts an empty digest field (a denied proposal without a digest)', () => {
    expect(parseCallback('r:5::1')).toEqual({ action: 'reject', rowId: 5, digestPrefix: '', epoch: 1 });
  });

  it('refuses anything malformed', () => {
    for (const bad of [
      '', 'a', 'x:1:0123456789abcdef:1', 'a:0:0123456789abcdef:1', 'a:01:0123456789abcdef:1', 'a:1:0123456789ABCDEF:1',
      'a:1:0123456789abcde:1', 'a:1:0123456789abcdef0:1', 'a:1:0123456789abcdef:0', 'a:1:0123456789abcdef:-1',
      'a:1:0123456789abcdef:1:extra', 'a:-1:0123456789abcdef:1', ' a:1:0123456789abcdef:1', 'a:1:0123456789abcdef:1\n',
      'a:99999999999999999:0123456789abcdef:1', `a:1:0123456789abcdef:${'9'.repeat(60)}`,
    ]) expect(parseCallback(bad), bad).toBeNull();
  });

  it('refuses to format values a card must never carry', () => {
    expect(() => formatCallback({ action: 'approve', rowId: 0, digestPrefix: '', epoch: 1 })).toThrow(RangeError);
    expect(() => formatCallback({ action: 'approve', rowId: 1, digestPrefix: 'zz', epoch: 1 })).toThrow(RangeError);
    expect(() => formatCallback({ action: 'approve', rowId: 1, digestPrefix: '', epoch: 1.5 })).toThrow(RangeError);
  });
});

describe('the bot token stays out of logs', () => {
  it('redacts it from URLs and error chains', () => {
    expect(redactToken('request to https://api.telegram.org/bot123:AAbb-cc_dd/sendMessage failed')).toBe('request to https://api.telegram.org/bot<redacted>/sendMessage failed');
    const err = Object.assign(new Error("Network request for 'getUpdates' failed!"), { error: new Error('request to http://h/bot42:SECRET/getUpdates failed') });
    expect(errorText(err, '42:SECRET')).not.toContain('SECRET');
    expect(errorText(new Error('token 42:SECRET leaked'), '42:SECRET')).toBe('token <redacted> leaked');
  });
});
