/**
 * What a captured DDL statement text says that its table's new column list cannot: which
 * column was renamed to which (a rename and a drop + add leave the same list), which table a
 * renamed table had as its old name, and which columns were dropped on purpose. Only
 * `ALTER TABLE` is read; anything else gives nothing. The text may hold several statements
 * (the whole query string the source ran).
 */

export type DdlClause =
  | { readonly kind: "rename_column"; readonly table: string; readonly from: string; readonly to: string }
  | { readonly kind: "rename_table"; readonly table: string; readonly to: string }
  | { readonly kind: "drop_column"; readonly table: string; readonly column: string };

type Token = { readonly word: string; readonly quoted: boolean } | { readonly symbol: string };

/** Tokens of SQL text: identifiers and keywords (unquoted ones folded to lower case as PostgreSQL does), symbols; literals and comments skipped. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith("--", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "'") {
      i = skipQuoted(text, i, "'");
      tokens.push({ symbol: "'" });
    } else if (c === '"') {
      let word = "";
      let j = i + 1;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote < 0) {
          word += text.slice(j);
          j = text.length;
          break;
        }
        word += text.slice(j, quote);
        if (text.charAt(quote + 1) !== '"') {
          j = quote + 1;
          break;
        }
        word += '"';
        j = quote + 2;
      }
      tokens.push({ word, quoted: true });
      i = j;
    } else if (c === "$") {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (tag === null) {
        tokens.push({ symbol: c });
        i++;
      } else {
        const end = text.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? text.length : end + tag[0].length;
        tokens.push({ symbol: "'" });
      }
    } else {
      const word = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i));
      if (word !== null) {
        tokens.push({ word: word[0].toLowerCase(), quoted: false });
        i += word[0].length;
      } else {
        tokens.push({ symbol: c });
        i++;
      }
    }
  }
  return tokens;
}

function skipQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const end = text.indexOf(quote, i);
    if (end < 0) return text.length;
    if (text.charAt(end + 1) !== quote) return end + 1;
    i = end + 2;
  }
}

/** The ALTER TABLE clauses of `text` this module understands. Table names are unqualified. */
export function alterTableClauses(text: string): DdlClause[] {
  const clauses: DdlClause[] = [];
  for (const tokens of statements(tokenize(text))) {
    let at = 0;
    const keyword = (word: string) => {
      const token = tokens[at];
      if (token !== undefined && "word" in token && !token.quoted && token.word === word) {
        at++;
        return true;
      }
      return false;
    };
    const identifier = (): string | undefined => {
      const token = tokens[at];
      if (token === undefined || !("word" in token)) return undefined;
      at++;
      return token.word;
    };
    if (!keyword("alter") || !keyword("table")) continue;
    if (keyword("if")) keyword("exists");
    keyword("only");
    let table = identifier();
    while (table !== undefined && isSymbol(tokens[at], ".")) {
      at++;
      table = identifier();
    }
    if (table === undefined) continue;
    if (isSymbol(tokens[at], "*")) at++;
    for (const action of splitTopLevel(tokens.slice(at))) {
      at = 0;
      const actionTokens = action;
      const word = (index: number) => {
        const token = actionTokens[index];
        return token !== undefined && "word" in token ? token : undefined;
      };
      const is = (index: number, keywordText: string) => {
        const token = word(index);
        return token !== undefined && !token.quoted && token.word === keywordText;
      };
      if (is(0, "rename")) {
        if (is(1, "to") && word(2)) {
          clauses.push({ kind: "rename_table", table, to: (word(2) as { word: string }).word });
        } else if (is(1, "constraint")) {
          // constraint names are not the sink's business
        } else {
          const from = is(1, "column") ? 2 : 1;
          const source = word(from);
          const target = word(from + 2);
          if (source && is(from + 1, "to") && target) {
            clauses.push({ kind: "rename_column", table, from: source.word, to: target.word });
          }
        }
      } else if (is(0, "drop") && !is(1, "constraint")) {
        let index = is(1, "column") ? 2 : 1;
        if (is(index, "if") && is(index + 1, "exists")) index += 2;
        const column = word(index);
        if (column) clauses.push({ kind: "drop_column", table, column: column.word });
      }
    }
  }
  return clauses;
}

function isSymbol(token: Token | undefined, symbol: string): boolean {
  return token !== undefined && "symbol" in token && token.symbol === symbol;
}

function statements(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const token of tokens) {
    if (isSymbol(token, ";")) out.push([]);
    else (out.at(-1) as Token[]).push(token);
  }
  return out.filter((list) => list.length > 0);
}

/** Splits at commas outside parentheses. */
function splitTopLevel(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (isSymbol(token, "(")) depth++;
    if (isSymbol(token, ")")) depth--;
    if (depth === 0 && isSymbol(token, ",")) out.push([]);
    else (out.at(-1) as Token[]).push(token);
  }
  return out;
}
