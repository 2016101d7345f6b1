// The UI strings the theme adds to a page, one table per edition, keyed by
// the page's <html lang> (po/i18n.toml's `lang`). theme/lang.js reads them
// (rspT('key') in any theme script: the page's language, else English).
// The object below must stay plain JSON: `cargo xtask test` reads it and
// checks that every edition has every key of `en`, and that the `block.`
// texts are the ones crates/supervisor/src/render.rs writes into the page.
// `edition.dir` is the edition's folder under book/; `edition.name` and
// `edition.read` label the link to it from the other editions.
window.rspStrings = {
  "en": {
    "edition.dir": "",
    "edition.name": "English",
    "edition.read": "Read this page in English",
    "block.label": "Output",
    "block.status-title": "how the program ended",
    "block.stamp": "Ran when the book was built:",
    "block.about": "about this build",
    "hint.static": "Output from when the book was built. To edit the program and run it on your own Linux, clone the book and run {cmd}.",
    "run.button": "Run this code on this machine (Ctrl-Enter)",
    "run.undo": "Undo changes",
    "run.code-label": "Rust code: edit it, then run it with Ctrl-Enter",
    "chrome.search-placeholder": "Search this book ...",
    "chrome.search": "Search. (Shortkey: s)",
    "chrome.toc": "Toggle Table of Contents",
    "chrome.theme": "Change theme",
    "chrome.print": "Print this book",
    "chrome.git": "Git repository",
    "chrome.edit": "Suggest an edit",
    "chrome.previous": "Previous chapter",
    "chrome.next": "Next chapter"
  },
  "zh-Hant-TW": {
    "edition.dir": "zh-TW/",
    "edition.name": "繁體中文",
    "edition.read": "以繁體中文閱讀這一頁",
    "block.label": "輸出",
    "block.status-title": "程式結束的方式",
    "block.stamp": "建置本書時執行於：",
    "block.about": "關於這次建置",
    "hint.static": "這是建置本書時的輸出。想修改程式、在自己的 Linux 上執行，請 clone 本書後執行 {cmd}。",
    "run.button": "在這台機器上執行這段程式（Ctrl-Enter）",
    "run.undo": "復原修改",
    "run.code-label": "Rust 程式碼：修改後按 Ctrl-Enter 執行",
    "chrome.search-placeholder": "搜尋本書…",
    "chrome.search": "搜尋（快捷鍵：s）",
    "chrome.toc": "開關目錄",
    "chrome.theme": "切換佈景主題",
    "chrome.print": "列印本書",
    "chrome.git": "Git repository",
    "chrome.edit": "建議修改翻譯",
    "chrome.previous": "上一章",
    "chrome.next": "下一章"
  }
};
