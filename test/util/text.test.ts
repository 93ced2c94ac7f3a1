/** Human text (src/util/text.ts): controls stripped at input, bidi and controls shown as <U+XXXX> at display. */
import { describe, expect, it } from 'vitest';
import { cleanText, forLog, hasBidiControl, showInvisible } from '../../src/util/text.ts';

describe('cleanText (input)', () => {
  it('removes NUL, C0, DEL and C1 controls and folds line breaks and tabs to one space', () => {
    expect(cleanText('a\u0000b\u0007c\u007fd\u009be')).toBe('abcde');
    expect(cleanText('one\r\n\ttwo\u2028three\u0085four')).toBe('one two three four');
  });
  it('keeps ordinary text, emoji, other scripts and bidi controls (shown escaped later)', () => {
    expect(cleanText('Zahlung für le-1 💸 платёж ')).toBe('Zahlung für le-1 💸 платёж ');
    expect(cleanText('x\u202Ey')).toBe('x\u202Ey');
  });
});

describe('showInvisible (display)', () => {
  it('writes every bidi control as <U+XXXX>', () => {
    const bidi = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
    for (const c of bidi) {
      expect(hasBidiControl(`a${c}b`)).toBe(true);
      const shown = showInvisible(`a${c}b`);
      expect(shown).toBe(`a<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>b`);
      expect(hasBidiControl(shown)).toBe(false);
    }
  });
  it('writes controls too; a line feed only when the text must stay on one line', () => {
    expect(showInvisible('a\u0000\tb\nc')).toBe('a<U+0000><U+0009>b\nc');
    expect(showInvisible('a\nb\u2029', { singleLine: true })).toBe('a<U+000A>b<U+2029>');
    expect(showInvisible('plain élan 💸')).toBe('plain élan 💸');
  });
  it('forLog shortens and escapes', () => {
    expect(forLog(`\u202E${'y'.repeat(300)}`, 20)).toBe(`<U+202E>${'y'.repeat(12)}…(301 chars)`);
    expect(forLog('short')).toBe('short');
  });
});
