//! Classification throughput, one message at a time, on one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redeemdesk::faq::{Classifier, Scratch};

const MESSAGES: &[&str] = &[
    "kak gimana cara redeem promo smart office rewards?",
    "SN saya K2305N0012345 statusnya apa ya",
    "my redemption was rejected because the invoice has no product name, what should I do now",
    "halo min",
    "udh 2 minggu blm ada kabar soal klaim sy, normalnya brp lama ya verifikasinya",
    "where can I download drivers for my B650 motherboard",
    "Selamat siang, saya ingin menanyakan kenapa promo Ramadan tidak muncul di akun Member Center saya padahal saya beli monitor di toko resmi.",
    "thanks!",
];

fn classify(c: &mut Criterion) {
    let classifier = Classifier::shared();
    let mut scratch = Scratch::default();
    let mut group = c.benchmark_group("faq");
    group.throughput(Throughput::Elements(MESSAGES.len() as u64));
    group.bench_function("classify_one_at_a_time", |b| {
        b.iter(|| {
            for m in MESSAGES {
                std::hint::black_box(classifier.classify_with(std::hint::black_box(m), &mut scratch));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
