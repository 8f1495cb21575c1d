/**
 * An action's step summary (GitHub-flavoured markdown, as the job summary shows it) as terminal text: read with
 * marked's lexer (a markdown parser, so tables, escapes and code spans are read the way GitHub reads them, never
 * with patterns), then written plain: headings and strong text bold, tables as aligned columns, paragraphs and list
 * items wrapped to the width, code spans as their text, HTML comments and tags dropped (`<br>` is a line break),
 * character references (`&lt;`, `&#64;`) decoded. Colour only when `color` is on.
 */
import { Lexer } from 'marked';
import { table, wrap } from './layout.mjs';
import { paint } from './style.mjs';

const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };

/** `&lt;`, `&#64;`, `&#x3a;` … as the characters they stand for; U+200B (the toolkit's link breaker) dropped. */
export function decodeEntities(text) {
  return String(text)
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref) => {
      if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
      const n =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
    })
    .replace(/\u200b/g, '');
}

/** Inline tokens as text: strong/em styled, code spans and links as their text, HTML tags dropped but `<br>`. */
function inline(tokens, color) {
  let out = '';
  for (const t of tokens ?? []) {
    if (t.type === 'strong') out += paint(color, 'bold', inline(t.tokens, color));
    else if (t.type === 'em' || t.type === 'del' || t.type === 'link') out += inline(t.tokens, color);
    else if (t.type === 'codespan') out += decodeEntities(t.text);
    else if (t.type === 'br') out += '\n';
    else if (t.type === 'html') out += /^<br\s*\/?>$/i.test(t.text.trim()) ? '\n' : '';
    else if (t.type === 'escape') out += t.text;
    else if (t.tokens) out += inline(t.tokens, color);
    else out += decodeEntities(t.text ?? '');
  }
  return out;
}

/** A block-level HTML token: a <summary> gives its text as a bold line; comments and other tags give nothing. */
function htmlBlock(text, color) {
  const summary = /<summary>([\s\S]*?)<\/summary>/i.exec(text);
  if (summary) return [paint(color, 'bold', decodeEntities(summary[1].replace(/<[^>]+>/g, '').trim()))];
  const bare = text
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]+>/g, '')
    .trim();
  return bare ? decodeEntities(bare).split('\n') : [];
}

function listLines(token, width, color, depth) {
  const lines = [];
  token.items.forEach((item, i) => {
    const mark = token.ordered ? `${Number(token.start || 1) + i}.` : '-';
    const indent = '  '.repeat(depth);
    const body = blocks(item.tokens, width - indent.length - mark.length - 1, color, depth + 1);
    body.forEach((l, k) =>
      lines.push(k === 0 ? `${indent}${mark} ${l}` : `${indent}${' '.repeat(mark.length + 1)}${l}`),
    );
  });
  return lines;
}

/** Block tokens as terminal lines. */
function blocks(tokens, width, color, depth = 0) {
  const out = [];
  const gap = () => {
    if (out.length > 0 && out[out.length - 1] !== '') out.push('');
  };
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
        break;
      case 'heading':
        gap();
        out.push(paint(color, 'bold', inline(t.tokens, color)));
        break;
      case 'paragraph':
        gap();
        out.push(...wrap(inline(t.tokens, color), width));
        break;
      case 'text': // a tight list item's text
        out.push(...wrap(inline(t.tokens ?? [t], color), width));
        break;
      case 'list':
        if (depth === 0) gap();
        out.push(...listLines(t, width, color, depth));
        break;
      case 'table':
        gap();
        out.push(
          ...table(
            t.header.map((c) => inline(c.tokens, color)),
            t.rows.map((r) => r.map((c) => inline(c.tokens, color))),
            { width, header: (h) => paint(color, 'bold', h) },
          ),
        );
        break;
      case 'blockquote':
        gap();
        out.push(...blocks(t.tokens, width - 2, color, depth).map((l) => (l ? `${paint(color, 'dim', '│')} ${l}` : l)));
        break;
      case 'code':
        gap();
        out.push(...t.text.split('\n').map((l) => `  ${l}`));
        break;
      case 'html': {
        const lines = htmlBlock(t.text, color);
        if (lines.length) gap();
        out.push(...lines);
        break;
      }
      case 'hr':
        gap();
        out.push(paint(color, 'dim', '─'.repeat(Math.min(width, 40))));
        break;
      default:
        if (t.tokens) out.push(...wrap(inline(t.tokens, color), width));
        else if (t.text) out.push(...wrap(decodeEntities(t.text), width));
    }
  }
  return out;
}

/**
 * @param {string} markdown  a step summary
 * @param {{ color: boolean, width: number }} options
 * @returns {string} terminal text (no trailing newline)
 */
export function markdownForTerminal(markdown, { color, width }) {
  const tokens = new Lexer({ gfm: true }).lex(String(markdown));
  const lines = blocks(tokens, width, color);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}
