// The edit-and-run script's UI strings (rsp-run.js, rsp-editor.js), one
// table per edition, keyed by the page's <html lang>, in the same shape as
// the zh-TW edition's theme/strings.js. `rspEditT(key)`: the string in the
// page's language, else English; keys the theme's own table has (lang.js's
// `rspT`) come from there. `{n}`-style fields are filled in by the caller.
// Terms such as process, cgroup, sandbox and stamp stay in English in the
// zh-TW table, as po/GLOSSARY.md says.
window.rspEditStrings = {
  "en": {
    "edition.dir": "",
    "hint.static": "Output from when the book was built. To edit the program and run it on your own Linux, clone the book and run {cmd}.",
    "run.button": "Run this code on this machine (Ctrl-Enter)",
    "run.undo": "Reset to the book's code",
    "run.code-label": "Rust code: edit it, then run it with Ctrl-Enter",
    "edit.code-label-python": "Python code: edit it, then run it with Ctrl-Enter",
    "edit.edited": "edited",
    "edit.edited-title": "You changed this code; your edit is kept in this browser. The reset button brings back the book's code.",
    "edit.changed": "The book's code for this block changed since you edited it. This is the book's new code; your edit was made on the old one.",
    "edit.use-mine": "Use my edit",
    "edit.use-book": "Keep the book's new code (drop my edit)",
    "download.rust": "Download as a Cargo project (.tar.gz)",
    "download.python": "Download the program with its pinned requirements (.tar.gz)",
    "download.failed": "The download failed:",
    "run.queued": "waiting for {n} other run(s) to end\u2026",
    "run.compiling": "compiling\u2026",
    "run.compiled": "compiled in {t}; running\u2026",
    "run.compile-error": "does not compile: the errors are marked on their lines above; rustc's full text is below",
    "run.dropped": "[runner: output cut here; {n} more bytes dropped]",
    "run.ran": "ran {t}",
    "run.compiled-in": "compiled in {t}",
    "run.killed": "killed {n} process(es) it left running",
    "run.here": "on this machine",
    "run.sending": "sending\u2026",
    "run.http": "the runner answered {n}",
    "run.no-result": "the run ended without a result",
    "run.unreachable": "the local runner did not answer (is `cargo xtask serve` still running?):",
    "diag.line": "line {n}",
    "diag.hidden": "(in a line of the program this block does not show)",
    "compare.match": "Matches the book: the same output as when the book was built (after masking what the book declares variable).",
    "compare.differs": "Differs from the book: your machine printed something else than the machine the book was built on.",
    "compare.none": "Not compared with the book:",
    "compare.status": "The book's run ended with \u201c{book}\u201d; yours with \u201c{yours}\u201d.",
    "compare.legend": "\u2212 only in the book's output, + only in yours (parts that vary between runs are shown as \u2039varies\u203a):",
    "compare.only-book": "only in the book's output",
    "compare.only-yours": "only in your output",
    "compare.vary": "{n} pattern(s) the book declares variable were masked in both.",
    "compare.book-stamp": "The book was built on",
    "compare.your-stamp": "You are on",
    "reload.banner": "The book was rebuilt. Reloading shows it; your edits are kept.",
    "reload.button": "Reload"
  },
  "zh-Hant-TW": {
    "edition.dir": "zh-TW/",
    "hint.static": "這是建置本書時的輸出。想修改程式、在自己的 Linux 上執行，請 clone 本書後執行 {cmd}。",
    "run.button": "在這台機器上執行這段程式（Ctrl-Enter）",
    "run.undo": "還原成書中的程式碼",
    "run.code-label": "Rust 程式碼：修改後按 Ctrl-Enter 執行",
    "edit.code-label-python": "Python 程式碼：修改後按 Ctrl-Enter 執行",
    "edit.edited": "已修改",
    "edit.edited-title": "你改過這段程式碼，修改內容保存在這個瀏覽器裡。按還原按鈕可以換回書中的程式碼。",
    "edit.changed": "你修改之後，書中這段程式碼已經更新。下面是書中的新程式碼；你的修改是根據舊版做的。",
    "edit.use-mine": "使用我的修改",
    "edit.use-book": "保留書中的新程式碼（捨棄我的修改）",
    "download.rust": "下載成 Cargo 專案（.tar.gz）",
    "download.python": "下載程式與鎖定版本的 requirements（.tar.gz）",
    "download.failed": "下載失敗：",
    "run.queued": "等待前面 {n} 個執行結束…",
    "run.compiling": "編譯中…",
    "run.compiled": "編譯花了 {t}；執行中…",
    "run.compile-error": "無法編譯：錯誤已標在上面對應的行；rustc 的完整訊息在下方",
    "run.dropped": "[runner：輸出在此截斷；另有 {n} bytes 未顯示]",
    "run.ran": "執行 {t}",
    "run.compiled-in": "編譯 {t}",
    "run.killed": "結束了它留下的 {n} 個 process",
    "run.here": "在這台機器上",
    "run.sending": "傳送中…",
    "run.http": "runner 回應 {n}",
    "run.no-result": "執行結束了，但沒有結果",
    "run.unreachable": "本機 runner 沒有回應（`cargo xtask serve` 還在執行嗎？）：",
    "diag.line": "第 {n} 行",
    "diag.hidden": "（位於這個區塊沒有顯示的程式行）",
    "compare.match": "與書中一致：輸出和建置本書時相同（已遮蔽書中標明會變動的部分）。",
    "compare.differs": "與書中不同：你的機器印出的內容，和建置本書的機器不一樣。",
    "compare.none": "沒有與書中比較：",
    "compare.status": "書中那次執行的結果是「{book}」；你的是「{yours}」。",
    "compare.legend": "− 只出現在書中的輸出，+ 只出現在你的輸出（每次執行都會變動的部分顯示為 ‹varies›）：",
    "compare.only-book": "只出現在書中的輸出",
    "compare.only-yours": "只出現在你的輸出",
    "compare.vary": "兩邊都遮蔽了書中標明會變動的 {n} 個 pattern。",
    "compare.book-stamp": "本書建置於",
    "compare.your-stamp": "你的環境",
    "reload.banner": "本書已重新建置。重新載入即可看到新內容；你的修改會保留。",
    "reload.button": "重新載入"
  }
};
window.rspEditT = function (key) {
  var tables = window.rspEditStrings;
  var lang = document.documentElement.getAttribute('lang') || 'en';
  var own = tables[lang] || tables.en;
  if (key in own) { return own[key]; }
  if (key in tables.en) { return tables.en[key]; }
  return window.rspT ? window.rspT(key) : key;
};
