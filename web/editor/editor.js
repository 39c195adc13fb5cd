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
 * options: { doc, label, onChange(text) }
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
        syntaxHighlighting(classHighlighter),
        errorLine,
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ 'aria-label': options.label ?? 'Code', 'data-testid': 'editor-content' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !silent && options.onChange) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
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
