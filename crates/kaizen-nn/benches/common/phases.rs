//! A `tracing` layer that prints the prover's and verifier's phases (the spans of kaizen-nn,
//! kaizen-pcs and kaizen-gkr) as an indented tree of wall times, once per top-level span.
use std::{
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use tracing::{
    field::{Field, Visit},
    span::{Attributes, Id},
    Subscriber,
};
use tracing_subscriber::{
    filter::Targets, layer::Context, prelude::*, registry::LookupSpan, Layer,
};

/// A span's number (in order of creation), its parent's, its label (name and fields) and when
/// it was created.
struct Opened {
    seq: u64,
    parent: Option<u64>,
    label: String,
    start: Instant,
}

/// A closed span and its wall time.
struct Closed {
    opened: Opened,
    wall: Duration,
}

/// Collects the closed spans of each top-level span and prints them when it closes.
#[derive(Default)]
struct PhaseTree {
    next: AtomicU64,
    closed: Mutex<Vec<Closed>>,
}

/// Prints `node` at `depth`, then its children among `closed` (in order of creation) below it,
/// depth first.
fn print_tree(closed: &[Closed], node: &Closed, depth: usize) {
    let label = format!("{}{}", "  ".repeat(depth), node.opened.label);
    eprintln!("{label:<64} {:>10.2} ms", node.wall.as_secs_f64() * 1e3);
    for c in closed
        .iter()
        .filter(|c| c.opened.parent == Some(node.opened.seq))
    {
        print_tree(closed, c, depth + 1);
    }
}

struct Label<'a>(&'a mut String);

impl Visit for Label<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PhaseTree {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut label = attrs.metadata().name().to_string();
        attrs.record(&mut Label(&mut label));
        let Some(span) = ctx.span(id) else {
            return;
        };
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Opened>().map(|o| o.seq));
        span.extensions_mut().insert(Opened {
            seq: self.next.fetch_add(1, Ordering::Relaxed),
            parent,
            label,
            start: Instant::now(),
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(opened) = span.extensions_mut().remove::<Opened>() else {
            return;
        };
        let Ok(mut closed) = self.closed.lock() else {
            return;
        };
        let root = opened.parent.is_none();
        let seq = opened.seq;
        closed.push(Closed {
            wall: opened.start.elapsed(),
            opened,
        });
        if root {
            let mut tree = std::mem::take(&mut *closed);
            tree.sort_by_key(|c| c.opened.seq);
            if let Some(root) = tree.iter().find(|c| c.opened.seq == seq) {
                print_tree(&tree, root, 0);
            }
        }
    }
}

/// Prints the phase tree of every step proof and verification to stderr from now on.
pub fn print_phases() {
    let targets = Targets::new()
        .with_target("kaizen_nn", tracing::Level::DEBUG)
        .with_target("kaizen_pcs", tracing::Level::DEBUG)
        .with_target("kaizen_gkr", tracing::Level::DEBUG);
    tracing_subscriber::registry()
        .with(PhaseTree::default().with_filter(targets))
        .init();
}
