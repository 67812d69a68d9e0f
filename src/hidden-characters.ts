/**
 * Characters that change what text looks like without being seen themselves. In a name they let
 * one thing pose as another: "Acme\u202Egnp.exe" shows as "Acmeexe.png", "Acme\u200B" looks like
 * "Acme", and "\u3164" looks like nothing at all. Unicode marks them as format characters (Cf:
 * bidirectional controls, zero-width spaces and joiners, tags, ...) or default-ignorable code
 * points (fillers, variation selectors); the blank Braille pattern is one more blank.
 */
const HIDDEN = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * What no free text (a description) may hold either: the bidirectional embeddings, overrides and
 * isolates, which reorder the text around them ("Trojan Source"), and the tag characters, which
 * can carry a whole invisible sentence. Marks (LRM, RLM) and joiners stay: real text needs them.
 */
const REORDERING_OR_TAG = /[\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}]/u;

// Where a hidden character is part of ordinary writing, and so allowed in a name:
const ZWJ = '\u200D';
const ZWNJ = '\u200C';
const EMOJI = /\p{Extended_Pictographic}/u;
// what may stand between an emoji and a ZWJ joining it to the next: a skin tone, VARIATION SELECTOR-16
const EMOJI_TAIL = /[\u{1F3FB}-\u{1F3FF}]|\uFE0F/u;
const KEYCAP_BASE = /[0-9#*]/;
const KEYCAP = '\u20E3';
const EMOJI_STYLE = /[\uFE0E\uFE0F]/;
const IDEOGRAPHIC_VARIATION = /[\u{E0100}-\u{E01EF}]/u;
const HAN = /\p{Script=Han}/u;
// scripts whose spelling needs ZWJ/ZWNJ between letters (Persian, the Indic scripts, ...)
const JOINING_SCRIPTS = [
  'Arabic',
  'Syriac',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Myanmar',
  'Khmer',
];
const JOINING_SCRIPT = new RegExp(
  `[${JOINING_SCRIPTS.map((script) => `\\p{scx=${script}}`).join('')}]`,
  'u',
);
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;

const joins = (c: string | undefined) =>
  c !== undefined && LETTER_OR_MARK.test(c) && JOINING_SCRIPT.test(c);

/** Is there an emoji right before position i, past any skin tone or VS16 that ends it? */
function emojiBefore(chars: string[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && EMOJI_TAIL.test(chars[j])) j--;
  return j >= 0 && EMOJI.test(chars[j]);
}

/**
 * The hidden characters that ordinary writing needs, in the only places it needs them:
 * - ZWJ inside an emoji sequence (👩‍💻), or ZWJ/ZWNJ between two letters of a script that uses
 *   them (Persian "می‌خواهم", Devanagari "क्‍ष");
 * - VS15/VS16 right after an emoji, or inside a keycap (❤️, 1️⃣);
 * - an ideographic variation selector right after a Han character (葛󠄀).
 * Anywhere else (after a Latin letter, at either end, alone) they are refused. Tag characters are
 * refused everywhere, so subdivision flags (England's) are too: they can hide whole sentences.
 */
function neededAt(chars: string[], i: number): boolean {
  const c = chars[i];
  const before = chars[i - 1];
  const after = chars[i + 1];
  if (c === ZWJ && emojiBefore(chars, i) && after !== undefined && EMOJI.test(after)) return true;
  if ((c === ZWJ || c === ZWNJ) && joins(before) && joins(after)) return true;
  if (
    EMOJI_STYLE.test(c) &&
    before !== undefined &&
    (EMOJI.test(before) || (KEYCAP_BASE.test(before) && after === KEYCAP))
  )
    return true;
  return IDEOGRAPHIC_VARIATION.test(c) && before !== undefined && HAN.test(before);
}

/** true when a name holds a character that is not seen, other than where writing needs one */
export function hasHiddenCharacters(text: string): boolean {
  if (!HIDDEN.test(text)) return false;
  const chars = [...text];
  return chars.some((c, i) => HIDDEN.test(c) && !neededAt(chars, i));
}

/** true when free text holds a character that reorders the text around it, or a tag character */
export function hasReorderingCharacters(text: string): boolean {
  return REORDERING_OR_TAG.test(text);
}
