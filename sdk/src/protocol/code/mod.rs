//! Request, response and language codes.

mod language;
mod request;
mod response;

pub use language::LanguageCode;
pub use request::RequestCode;
pub use response::ResponseCode;
