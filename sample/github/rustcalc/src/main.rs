mod lexer;

use lexer::{tokenize, Token};

fn main() {
    let expr = std::env::args().nth(1).unwrap_or_else(|| "1 + 2".to_string());
    let mut total = 0i64;
    let mut sign = 1;
    for token in tokenize(&expr) {
        match token {
            Token::Number(n) => total += sign * n,
            Token::Plus => sign = 1,
            Token::Minus => sign = -1,
        }
    }
    println!("{total}");
}
