// CodeMirror 6 set up for ClickHouse SQL: highlighting, completion fed from the engine's
// system tables, Ctrl/Cmd+Enter runs the statement under the cursor (or the selection).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete'
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands'
import { bracketMatching, ensureSyntaxTree, HighlightStyle, indentOnInput, syntaxHighlighting, syntaxTree } from '@codemirror/language'
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state'
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder } from '@codemirror/view'
import { tags as t } from '@lezer/highlight'
import { clickhouseDialect, completionSources } from './completion.ts'
import type { Schema } from './schema.ts'

export interface SqlEditor {
  view: EditorView
  text(): string
  setText(text: string): void
  /** The statement to run: the selection, else the statement under the cursor, else everything. */
  statement(): string
  insert(text: string): void
  setSchema(schema: Schema): void
  destroy(): void
}

// Colours come from the page's theme variables, so light/dark switch without reconfiguring.
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.operatorKeyword], color: 'var(--accent)', fontWeight: '600' },
  { tag: [t.string, t.special(t.string)], color: 'var(--up)' },
  { tag: [t.number, t.bool, t.null], color: 'var(--accent-2)' },
  { tag: [t.typeName], color: 'var(--warn)' },
  { tag: [t.lineComment, t.blockComment], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: [t.special(t.name), t.quote], color: 'var(--fg)' },
])

const theme = EditorView.theme({
  '&': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: '6px', minHeight: '140px', maxHeight: '50vh' },
  '&.cm-focused': { outline: '2px solid var(--focus)', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '13px', overflow: 'auto' },
  '.cm-content': { caretColor: 'var(--fg)', minHeight: '140px' },
  '.cm-cursor': { borderLeftColor: 'var(--fg)' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderRight: '1px solid var(--grid)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--accent) 7%, transparent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 25%, transparent)' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent)', color: '#fff' },
  '.cm-completionDetail': { color: 'var(--muted)', marginLeft: '1em', fontStyle: 'normal' },
  '.cm-completionInfo': { whiteSpace: 'pre-wrap', maxWidth: '420px' },
})

/**
 * The answer's style nonce (api/http/csp.ts): CodeMirror writes its styles into a <style>
 * element, which the page's Content-Security-Policy applies only with it.
 */
const cspNonce = () => document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.nonce ?? ''

export function createSqlEditor(parent: HTMLElement, o: { doc: string; label: string; onRun: () => void; onChange: (doc: string) => void }): SqlEditor {
  const language = new Compartment()
  const languageFor = (schema?: Schema): Extension => {
    const dialect = clickhouseDialect(schema?.lexicon)
    return [dialect.language, ...completionSources(schema, dialect).map((source) => dialect.language.data.of({ autocomplete: source }))]
  }
  const run = () => (o.onRun(), true)
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: o.doc,
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run }])),
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), history(), drawSelection(), indentOnInput(), bracketMatching(), closeBrackets(),
        autocompletion({ activateOnTyping: true, maxRenderedOptions: 80 }),
        keymap.of([...closeBracketsKeymap, ...completionKeymap, ...defaultKeymap, ...historyKeymap]),
        syntaxHighlighting(highlight), theme, language.of(languageFor()),
        placeholder('SELECT … (Ctrl+Enter runs the statement under the cursor)'),
        EditorView.cspNonce.of(cspNonce()),
        EditorView.contentAttributes.of({ 'aria-label': o.label, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((u) => u.docChanged && o.onChange(u.state.doc.toString())),
      ],
    }),
  })
  return {
    view,
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    statement: () => statementAt(view.state),
    insert(text) {
      const { from, to } = view.state.selection.main
      view.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length }, scrollIntoView: true })
      view.focus()
    },
    setSchema: (schema) => view.dispatch({ effects: language.reconfigure(languageFor(schema)) }),
    destroy: () => view.destroy(),
  }
}

/** The selection when there is one, else the top-level statement around the cursor. */
export function statementAt(state: EditorState): string {
  const sel = state.selection.main
  if (!sel.empty) return state.sliceDoc(sel.from, sel.to).trim()
  const statements: { from: number; to: number }[] = []
  // The parser works in time slices: a state's tree may stop short of the end on a long text or a
  // busy machine, and a statement it has not reached would be run together with the one before.
  const tree = ensureSyntaxTree(state, state.doc.length, 2000) ?? syntaxTree(state)
  for (let node = tree.topNode.firstChild; node; node = node.nextSibling) {
    if (node.name === 'Statement' && state.sliceDoc(node.from, node.to).replace(/;\s*$/, '').trim()) statements.push({ from: node.from, to: node.to })
  }
  if (statements.length <= 1) return state.doc.toString().trim()
  const at = statements.find((s) => sel.head >= s.from && sel.head <= s.to) ?? [...statements].reverse().find((s) => s.to <= sel.head) ?? statements[0]
  return state.sliceDoc(at.from, at.to).trim().replace(/;$/, '').trim()
}
