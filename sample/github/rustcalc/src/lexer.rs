#[derive(Debug, PartialEq)]
pub enum Token {
    Number(i64),
    Plus,
    Minus,
}

/// Split an expression like "12 + 3 - 4" into tokens; other characters are skipped.
pub fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '+' => tokens.push(Token::Plus),
            '-' => tokens.push(Token::Minus),
            '0'..='9' => {
                let mut n = c.to_digit(10).unwrap() as i64;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as i64;
                    chars.next();
                }
                tokens.push(Token::Number(n));
            }
            _ => {}
        }
    }
    tokens
}
