// `#[wrap("name")]` on `fn f() -> String { body }` makes the body
// `format!("name({})", { body })`: a decorator, as an attribute macro.
// Only std's proc_macro, no syn: the function's body is its last token.
use proc_macro::{Delimiter, TokenStream, TokenTree};

// ANCHOR: wrap
/// Rewrites the item it is on, which still carries every attribute written
/// below this one: those are expanded after it, on what it returns.
#[proc_macro_attribute]
pub fn wrap(name: TokenStream, item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
        _ => return error("#[wrap] goes on a function with a body"),
    };
    let wrapped = format!("{{ format!(\"{{}}({{}})\", {name}, {body}) }}");
    let mut out: TokenStream = tokens.into_iter().collect();
    match wrapped.parse::<TokenStream>() {
        Ok(body) => out.extend(body),
        Err(e) => return error(&e.to_string()),
    }
    out
}
// ANCHOR_END: wrap

fn error(msg: &str) -> TokenStream {
    format!("compile_error!({msg:?});")
        .parse()
        .unwrap_or_default()
}
