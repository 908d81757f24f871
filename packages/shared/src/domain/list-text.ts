/**
 * A list as a person types it in one box: items separated by commas or new lines, blanks dropped.
 * A comma inside a glob's braces or brackets belongs to the item (`data/*.{csv,json}` is one path
 * scope), as does one after a backslash, so a list shown joined with ", " reads back the same.
 */
export function splitListText(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\") i++;
    else if (char === "{" || char === "[") depth++;
    else if ((char === "}" || char === "]") && depth > 0) depth--;
    else if (char === "\n" || (char === "," && depth === 0)) {
      items.push(text.slice(start, i));
      start = i + 1;
      // A new line always ends an item: an unclosed brace stays on its own line, for the glob check to name.
      if (char === "\n") depth = 0;
    }
  }
  items.push(text.slice(start));
  return items.map((item) => item.trim()).filter(Boolean);
}
