//! A TCP relay that can take a real server "down": every open connection is
//! cut and new ones are closed at once, as when the server restarts, until it
//! is brought back. Faults are injected between the service and the real
//! server (PostgreSQL, Dovecot, Postfix); neither side is imitated.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Outage {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    /// Bumped on each `down()`: connections opened before it end.
    generation: watch::Sender<usize>,
    cut: Arc<AtomicUsize>,
    /// Connections relayed right now.
    open: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Outage {
    /// Relays 127.0.0.1:<free port> to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let (generation, _) = watch::channel(0usize);
        let cut = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let task = {
            let (down, generation, cut, open) = (down.clone(), generation.clone(), cut.clone(), open.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    if down.load(Ordering::SeqCst) {
                        drop(client); // closed at once, as a restarting server's port
                        continue;
                    }
                    let mut ended = generation.subscribe();
                    let (cut, open) = (cut.clone(), open.clone());
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        open.fetch_add(1, Ordering::SeqCst);
                        let (mut client, mut server) = (client, server);
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = ended.changed() => {
                                cut.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        open.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Self {
            addr,
            down,
            generation,
            cut,
            open,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Cuts every open connection and refuses new ones.
    pub fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Accepts connections again.
    pub fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Connections relayed right now (the server's end may close them too).
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Connections cut by `down()` so far.
    pub fn cut(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.task.abort();
    }
}
