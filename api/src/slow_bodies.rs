//! Request bodies that arrive too slowly are cut off with 408 `request_timeout`: a client that
//! sends a byte every few seconds holds neither a connection nor a database transaction for long.
//! A body must arrive whole within the body timeout; an import file, which may be large, must not
//! pause for longer than that between two pieces. (A request's head is bounded by the server's own
//! header timeout, set in `startup`.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use futures_util::Stream;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::problem::{ApiError, ErrorCode};

/// How long a body may take (`RAPPORT_BODY_TIMEOUT`), as the server's app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// A body stream with a deadline: `whole` for all of it (none for files), `pause` between pieces.
struct Deadline {
    inner: Payload,
    whole: Option<Pin<Box<Sleep>>>,
    pause: Duration,
    next_piece: Pin<Box<Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                let next = Instant::now() + this.pause;
                this.next_piece.as_mut().reset(next);
                return Poll::Ready(Some(Ok(piece)));
            }
            Poll::Pending => {}
            done => return done,
        }
        let whole_over = this
            .whole
            .as_mut()
            .is_some_and(|whole| whole.as_mut().poll(cx).is_ready());
        if whole_over || this.next_piece.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(too_slow())));
        }
        Poll::Pending
    }
}

fn too_slow() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the body arrived too slowly",
    ))
}

/// Whether reading a body failed because it arrived too slowly.
pub fn is_too_slow(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// The answer to a body that arrived too slowly.
pub fn timed_out() -> ApiError {
    ApiError::new(
        ErrorCode::RequestTimeout,
        "the request body arrived too slowly; send it at once",
    )
}

/// Puts the deadlines on the request's body.
pub async fn limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let timeout = req
        .app_data::<Data<BodyTimeout>>()
        .map_or(Duration::from_secs(10), |t| t.0);
    // An import file may take long as a whole, so long as it keeps coming.
    let is_file = req.path().ends_with("/file");
    let now = Instant::now();
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Deadline {
        inner: req.take_payload(),
        whole: (!is_file).then(|| Box::pin(sleep_until(now + timeout))),
        pause: timeout,
        next_piece: Box::pin(sleep_until(now + timeout)),
    });
    req.set_payload(Payload::from(stream));
    next.call(req).await
}
