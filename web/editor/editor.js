// The code editor (CodeMirror 6), bundled by esbuild into one module that the app
// imports only on pages that have an editor. The Rust side calls createEditor and talks
// to the returned handle; it never sees CodeMirror's types.

import { EditorState, StateEffect, StateField } from '@codemirror/state';
import {
  EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { indentOnInput, indentUnit, syntaxHighlighting, bracketMatching } from '@codemirror/language';
import { classHighlighter } from '@lezer/highlight';
import { python } from '@codemirror/lang-python';

// The line an error points at, drawn across the editor until the text changes.
const setErrorLine = StateEffect.define();
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setErrorLine)) {
        const n = effect.value;
        if (n === null || n < 1 || n > tr.state.doc.lines) return Decoration.none;
        const line = tr.state.doc.line(n);
        return Decoration.set([
          Decoration.line({ attributes: { class: 'cm-error-line', 'data-testid': 'editor-error-line', 'data-line': String(n) } }).range(line.from),
        ]);
      }
    }
    return tr.docChanged ? Decoration.none : marks.map(tr.changes);
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * Builds an editor inside `parent`.
 * options: { doc, label, describedBy (the id of the text that says how to leave it),
 *            onChange(text), onRun() (Ctrl/Cmd+Enter) }
 * Returns { getDoc(), setDoc(text), markLine(n | null), focus(), destroy() }.
 */
export function createEditor(parent, options) {
  let silent = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc ?? '',
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        indentUnit.of('    '),
        EditorState.tabSize.of(4),
        python(),
        // Long lines wrap: the editor grows with its program and never scrolls inside the
        // page, so it is no scroll box a keyboard must reach.
        EditorView.lineWrapping,
        syntaxHighlighting(classHighlighter),
        errorLine,
        // Ctrl/Cmd+Enter runs; it comes before the default keymap, which would insert a line.
        keymap.of([{ key: 'Mod-Enter', run: () => (options.onRun ? (options.onRun(), true) : false) }]),
        // Tab indents, as in every code editor; Esc then Tab leaves (CodeMirror's own
        // way out, which the page states beside the editor).
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({
          'aria-label': options.label ?? 'Code',
          'data-testid': 'editor-content',
          ...(options.describedBy ? { 'aria-describedby': options.describedBy } : {}),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !silent && options.onChange) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  // CodeMirror measures its lines only while it is in view: an editor made or changed
  // below the fold keeps its first guess of 14 px a line, and its line numbers drift from
  // the lines (a full-page capture shows it). So measure the whole text as CodeMirror does
  // for printing (its view state's `printing`; @codemirror/view is pinned, and the e2e
  // test of the gutter fails if this stops working).
  const measureOutOfView = () => {
    const viewState = view.viewState;
    const rect = view.dom.getBoundingClientRect();
    const inWindow = rect.bottom > 0 && rect.top < window.innerHeight && rect.right > 0 && rect.left < window.innerWidth;
    if (inWindow || !viewState || typeof viewState.printing !== 'boolean') return;
    viewState.printing = true;
    try {
      view.measure();
    } finally {
      viewState.printing = false;
    }
  };
  measureOutOfView();
  return {
    getDoc: () => view.state.doc.toString(),
    setDoc(text) {
      if (text === view.state.doc.toString()) return;
      silent = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      } finally {
        silent = false;
      }
      measureOutOfView();
    },
    markLine(n) {
      view.dispatch({ effects: setErrorLine.of(n ?? null) });
      if (n) {
        const line = view.state.doc.line(Math.min(Math.max(1, n), view.state.doc.lines));
        view.dispatch({ effects: EditorView.scrollIntoView(line.from, { y: 'center' }) });
      }
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
