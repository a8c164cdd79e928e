# redeemdesk — teks untuk pelanggan (Bahasa Indonesia)
# Sumber fakta: shared/seed/msi-redeem-instructions.txt


## Umum

greeting =
    Halo Kak! 👋 Saya redeemdesk, asisten program redeem promo MSI Indonesia.
    Saya bisa bantu jawab pertanyaan seputar redeem, cek status redeem lewat nomor seri (S/N), info promo yang sedang berjalan, atau sambungkan Kakak ke tim CS kami.

menu-prompt = Ada yang bisa dibantu, Kak? Silakan pilih di bawah ini ya.

help =
    Berikut perintah yang bisa Kakak pakai:
    /start atau /help — menu utama
    /faq — topik pertanyaan umum
    /status [nomor seri] [CHK] — cek status redeem
    /promos — promo yang sedang berjalan
    /lang id|en — ganti bahasa
    /subscribe — langganan info promo
    /unsubscribe — berhenti langganan info promo
    /agent — chat dengan tim CS

thanks-reply = Sama-sama, Kak! 😊 Kalau masih ada yang mau ditanyakan, langsung chat aja ya.

fallback = Mohon maaf, Kak, saya belum paham maksudnya. 🙏 Boleh pilih topik lewat /faq, atau ketik /agent kalau mau dibantu langsung oleh tim CS kami ya.

unknown-command = Maaf Kak, { $command } bukan perintah yang saya kenal. Ketik /help untuk melihat daftar perintah ya.

error-internal = Mohon maaf, Kak, sedang ada kendala di sistem kami. Silakan coba lagi sebentar lagi ya. Tenang, pesan yang sudah Kakak kirim tidak hilang kok.

attachment-received =
    Terima kasih, Kak. Mohon maaf, untuk saat ini file yang dikirim lewat chat belum bisa saya lampirkan ke klaim redeem. 🙏
    Kalau klaim Kakak ditolak dan perlu diperbaiki, ada dua cara:
    1. Balas email penolakan dari kami dengan melampirkan invoice yang sudah benar, atau
    2. Upload ulang dokumennya di MSI Member Center (https://account.msi.com/), lalu klik "Redeem Again".

attachment-too-large =
    Maaf, Kak, file ini lebih dari { $mb } MB jadi tidak bisa saya terima. 🙏
    Coba kirim foto atau PDF yang lebih kecil, atau balas email penolakan dari kami dengan melampirkan invoice-nya.


## Tombol

btn-faq = ❓ Tanya Jawab (FAQ)
btn-status = 🔎 Cek Status Redeem
btn-promos = 🎁 Promo Berjalan
btn-agent = 💬 Chat dengan CS
btn-lang = 🌐 Ganti Bahasa
btn-lang-id = Bahasa Indonesia
btn-lang-en = English
btn-subscribe = 🔔 Langganan Info Promo
btn-unsubscribe = 🔕 Berhenti Langganan
btn-menu = 🏠 Menu Utama


## Menu topik FAQ

faq-menu = Silakan pilih topiknya, Kak:

topic-account-signup = Daftar / Login Akun
topic-product-register = Cara Daftar Produk
topic-product-serial = Nomor Seri (S/N) & CHK
topic-invoice-requirements = Syarat Invoice
topic-redeem-how = Cara Redeem Promo
topic-redeem-status-howto = Cara Cek Status Redeem
topic-redeem-failed = Redeem Ditolak / Gagal
topic-promo-not-listed = Promo Tidak Muncul
topic-processing-time = Berapa Lama Prosesnya?
topic-reward-delivery = Pengiriman Hadiah
topic-email-not-received = Email Tidak Masuk


## Jawaban FAQ

faq-account-signup =
    Untuk daftar atau login ke MSI Member Center, caranya begini, Kak:
    1. Buka https://account.msi.com/
    2. Kalau sudah punya akun, langsung login pakai email dan password.
    3. Kalau belum, pilih Sign Up lalu isi kolom wajib (bertanda *): Email, Password dan Confirm Password, First Name, serta Region / Location.
    4. Centang persetujuan MSI Privacy Policy, isi Captcha, lalu kirim.
    Last Name, Contact Number, dan kotak langganan newsletter (Subscribe Latest Information) boleh dikosongkan ya.
    Setelah login, Kakak bisa lanjut daftarkan produk di menu My Products. Kalau ada kendala login, ketik /agent ya.

faq-product-register =
    Cara daftar produk di MSI Member Center, Kak:
    1. Login di https://account.msi.com/
    2. Buka menu My Products, lalu klik "Register New Product".
    3. Klik jenis produknya untuk melihat letak nomor seri (S/N).
    4. Isi Serial Number, lalu kode CHK 3 digit dari stiker S/N di produk.
    5. Lengkapi form: Product Type, Product Name, Model, Region / Location, Store Name, Purchase Date, dan tempat beli (Retail store / Online retailer / Reseller).
    6. Upload invoice yang mencantumkan nama model, tanggal invoice, dan nomor invoice (format .jpg/.gif/.png, lebar maks. 1600 px).
    7. Isi Captcha, lalu klik Next.
    ⭐ Jangan lupa upload invoice bukti pembeliannya ya, Kak!

faq-product-serial =
    Nomor seri (S/N) dan kode CHK ada di stiker S/N yang menempel di produknya, Kak.
    • Saat daftar produk (My Products → "Register New Product"), klik jenis produknya untuk melihat contoh letak S/N.
    • Kode CHK adalah 3 digit yang ada di stiker S/N yang sama.
    • Perhatikan bedanya angka "0" dan huruf "O", serta angka "1" dan huruf "l" ya.
    • Kalau diminta foto S/N, fotonya harus dari stiker di fisik produk itu sendiri, bukan dari kemasan/dus.

faq-invoice-requirements =
    Invoice/bukti pembelian yang diupload harus mencantumkan:
    • Nama model produk
    • Tanggal invoice (tanggal pembelian)
    • Nomor invoice
    • Nama toko tempat membeli
    Format filenya .jpg, .gif, atau .png, dengan lebar gambar maksimal 1600 px ya, Kak. Pastikan fotonya jelas dan mudah dibaca.
    Tanggal invoice juga harus masuk dalam periode promo yang Kakak ikuti.

faq-redeem-how =
    Cara redeem promo, Kak:
    1. Pastikan produknya sudah terdaftar di My Products, lengkap dengan invoice.
    2. Login di https://account.msi.com/ lalu buka halaman Promotions.
    3. Pilih promo yang sesuai, lalu klik "Redeem".
    4. Isi data yang diminta (kalau ada), lalu kirim.
    Setelah terkirim, akan muncul konfirmasi "Permintaan Anda berhasil dikirim". Semua pengajuan diperiksa oleh staf MSI dan butuh waktu 7–14 hari kerja.
    Kalau promonya tidak muncul, cek topik "Promo Tidak Muncul" di /faq ya.

faq-redeem-status-howto =
    Cara cek status redeem, Kak:
    1. Login di https://account.msi.com/
    2. Buka halaman Promotions, lalu pilih tab "Redeem History".
    3. Lihat kolom Status: "Redeem qualification under reviewing" artinya sedang diperiksa, "Redeem Success" artinya berhasil. Kalau ada yang perlu diperbaiki, alasannya tertulis di situ.
    Atau biar saya bantu cekkan: ketik /status, atau langsung kirim nomor seri (S/N) produknya ya. 😊

faq-redeem-failed =
    Kalau redeem ditolak atau Kakak dapat email bahwa klaimnya belum lengkap, tenang, masih bisa diperbaiki kok:
    1. Cek alasannya di email atau di Promotions → "Redeem History".
    2. Login di https://account.msi.com/, buka My Products / promo terkait, lalu upload ulang bukti yang diminta.
    3. Klik "Redeem Again", isi data penerima (Recipient Information) kalau diminta, lalu klik "Redeem".
    Pastikan dokumennya lengkap:
    • Invoice yang mencantumkan tanggal pembelian, toko pembelian, dan model produk
    • Foto S/N dari stiker di fisik produk, bukan dari kemasan
    Atau, cukup balas email penolakan dari kami dengan melampirkan invoice yang sudah benar ya, Kak.

faq-promo-not-listed =
    Kalau promo tidak muncul di akun Member Center Kakak, coba cek 4 hal ini ya:
    1. Model produk Kakak termasuk model yang memenuhi syarat promo.
    2. Tanggal invoice masuk dalam periode promo.
    3. Wilayah domisili Kakak termasuk wilayah yang berlaku untuk promo.
    4. Produk dibeli dari mitra MSI di wilayah domisili Kakak.
    Pastikan juga produknya sudah terdaftar di My Products. Mau saya bantu cek promo untuk produk Kakak? Ketik /status ya.

faq-processing-time =
    Estimasi waktunya begini, Kak:
    • Kode digital: 7–14 hari kerja untuk diverifikasi.
    • Hadiah fisik: 8–12 minggu untuk dikirimkan setelah redeem disetujui.
    Kode digital dikirim di akhir periode promo setelah ada konfirmasi dari MSI. Status terbaru bisa dicek di Promotions → "Redeem History", atau ketik /status di sini.

faq-reward-delivery =
    Begini cara hadiahnya sampai ke Kakak:
    1. Kalau redeem disetujui, Kakak akan menerima email pemberitahuan dari MSI yang menyebutkan hadiahnya.
    2. Kode digital dikirimkan di akhir periode promo, setelah ada konfirmasi dari MSI.
    3. Hadiah fisik dikirim ke alamat penerima yang Kakak isi, dalam 8–12 minggu setelah redeem disetujui.
    Statusnya juga bisa dicek di Member Center → Promotions → "Redeem History" (tertulis "Redeem Success" kalau berhasil).
    Belum ada email? Cek folder Spam, Junk, Trash, Deleted Items, atau Archive ya, Kak.

faq-email-not-received =
    Kalau email dari MSI belum masuk ke inbox, coba cek folder Spam, Junk, Trash, Deleted Items, atau Archive ya, Kak. Nonaktifkan juga filter email Kakak supaya email dari MSI tidak tersaring (email pemberitahuan bisa datang dari no-reply@msi-mail.com).
    Status redeem tetap bisa dicek di https://account.msi.com/ → Promotions → "Redeem History", atau ketik /status di sini.
    Untuk pertanyaan lebih lanjut, silakan hubungi https://account.msi.com/ atau ketik /agent.


## Promo

promos-header = Promo yang sedang berjalan saat ini, Kak:

promos-none = Saat ini belum ada promo yang sedang berjalan, Kak. Ketik /subscribe supaya Kakak dapat kabar begitu ada promo baru ya.

promo-item =
    🎁 { $name }
    Periode: { $start } – { $end }
    Kategori: { $categories }
    Hadiah: { $rewards }

reward-digital-code = Digital Code { $amount }
reward-physical-gift = { $gift } (hadiah fisik)
reward-for-category = { $category }: { $reward }
reward-unspecified = sesuai yang diumumkan di promo


## Tanggal

date = { $day } { $month } { $year }

month-1 = Januari
month-2 = Februari
month-3 = Maret
month-4 = April
month-5 = Mei
month-6 = Juni
month-7 = Juli
month-8 = Agustus
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Desember


## Alur cek status

status-ask-serial = Siap, Kak! Boleh kirim nomor seri (S/N) produknya? Nomor ini ada di stiker S/N yang menempel di fisik produk, berisi 10–25 huruf/angka. Perhatikan bedanya angka "0" dan huruf "O", serta angka "1" dan huruf "l" ya.

status-ask-chk = Terima kasih, Kak. Sekarang kirim kode CHK 3 digit untuk S/N { $serial } ya. Kodenya ada di stiker yang sama dengan nomor seri. Kode ini untuk memastikan produknya memang milik Kakak. 🔒

status-bad-serial = Hmm, sepertinya itu bukan nomor seri, Kak. Nomor seri terdiri dari 10–25 huruf dan angka. Boleh dicek lalu dikirim ulang? Atau ketik /faq untuk lihat cara menemukan S/N.

status-bad-chk = Kode CHK harus tepat 3 angka, Kak. Boleh dicek lagi di stiker S/N lalu dikirim ulang ya?

status-no-match = Mohon maaf, Kak, nomor seri dan kode CHK tersebut tidak cocok dengan produk terdaftar mana pun. Coba cek lagi keduanya (hati-hati dengan "0"/"O" dan "1"/"l"), dan pastikan produknya sudah didaftarkan di Member Center (My Products) ya.

status-rate-limited = Mohon maaf, Kak, sudah terlalu banyak percobaan yang gagal. Demi keamanan, silakan coba lagi dalam { $minutes } menit ya, atau ketik /agent untuk dibantu tim CS.
chat-slow-down = Pelan-pelan ya, Kak 🙏 Pesannya masuk terlalu cepat, jadi pesan berikutnya dalam semenit ini belum kami baca. Tunggu sebentar, lalu kirim lagi pertanyaan Kakak.

status-product = Status untuk { $model } (S/N { $serial }):

status-no-redemptions = Produk ini belum punya pengajuan redeem, Kak. Untuk redeem, login di https://account.msi.com/, buka Promotions, pilih promonya, lalu klik "Redeem". Promo yang bisa Kakak ikuti (kalau ada) tercantum di bawah ya.

status-under-review = 🕒 RDM-{ $id } – { $promotion }, diajukan { $date }: sedang diperiksa oleh staf MSI. Prosesnya butuh 7–14 hari kerja ya, Kak.

status-rejected = ⚠️ RDM-{ $id } – { $promotion } (diajukan { $date }) belum bisa disetujui. Alasannya: { $reason }

status-rejected-next =
    Cara memperbaikinya, Kak (pilih salah satu):
    1. Balas email penolakan dari kami (subjeknya berisi [RDM-…]) dan lampirkan file yang sudah diperbaiki, atau
    2. Upload ulang dokumennya di Member Center (My Products / promo terkait), lalu klik "Redeem Again".
    Setelah itu klaim Kakak akan diperiksa ulang dalam 7–14 hari kerja.

status-approved-digital = ✅ RDM-{ $id } – { $promotion } sudah disetujui! Hadiah: { $reward }. Kode digital akan dikirim lewat email di akhir periode promo ({ $end }) setelah ada konfirmasi dari MSI. Jangan lupa cek folder Spam juga ya, Kak.

status-approved-gift = ✅ RDM-{ $id } – { $promotion } sudah disetujui! Hadiah: { $reward }. Hadiahnya akan dikirim ke alamat penerima dalam 8–12 minggu setelah disetujui ya, Kak.

status-reward-sent = 🎉 Hadiah untuk RDM-{ $id } – { $promotion } ({ $reward }) sudah dikirim, Kak! Silakan cek inbox email Kakak, termasuk folder Spam, Junk, Trash, atau Archive.


## Alasan penolakan

reason-invoice-missing-product-name = Invoice belum mencantumkan nama/model produk. Mohon upload invoice yang memuat nama model produknya ya.
reason-invoice-unreadable = Foto invoice kurang jelas atau tidak terbaca. Mohon upload ulang foto/scan invoice yang jelas (.jpg/.gif/.png, lebar maks. 1600 px).
reason-invoice-outside-period = Tanggal invoice berada di luar periode promo. Mohon pastikan invoice yang diupload adalah invoice pembelian produk ini dengan tanggal di dalam periode promo.
reason-invoice-missing-store-or-number = Invoice belum mencantumkan nama toko atau nomor invoice. Mohon upload invoice lengkap yang memuat nama toko, nomor invoice, tanggal invoice, dan model produk.
reason-serial-photo-missing = Foto nomor seri (S/N) belum ada. Mohon upload foto stiker S/N yang menempel di fisik produk.
reason-serial-photo-packaging = Foto S/N yang dikirim diambil dari kemasan/dus. Mohon upload foto stiker S/N di fisik produk itu sendiri, bukan di kemasan.
reason-serial-chk-mismatch = Nomor seri atau kode CHK tidak sesuai dengan produknya. Mohon cek ulang stiker S/N di produk (perhatikan "0"/"O" dan "1"/"l") dan kirimkan foto stiker S/N tersebut.
reason-model-not-eligible = Model produk ini tidak termasuk dalam promo ini, jadi klaimnya tidak bisa diproses. Silakan cek model/kategori yang berlaku di halaman promo.
reason-region-not-eligible = Wilayah Kakak tidak termasuk wilayah yang berlaku untuk promo ini, jadi klaimnya tidak bisa diproses.
reason-store-not-partner = Toko tempat pembelian bukan mitra MSI untuk promo ini di wilayah Kakak. Kalau Kakak membeli di toko mitra MSI, mohon upload invoice yang jelas mencantumkan nama toko tersebut.
reason-duplicate-claim = Produk ini sudah pernah diklaim untuk promo yang sama, jadi klaim ganda tidak bisa diproses. Status klaim sebelumnya bisa dicek di Promotions → "Redeem History".


## Kelayakan promo

eligibility-header = Promo untuk { $model } Kakak:
eligibility-eligible = ✅ { $promotion }: bisa Kakak redeem di Member Center → Promotions. Hadiah: { $reward }
eligibility-not = ❌ { $promotion }: belum memenuhi syarat, karena:
inelig-category = Kategori produk { $category } tidak termasuk dalam promo ini.
inelig-period = Tanggal pembelian { $purchased } di luar periode promo ({ $start } – { $end }).
inelig-region = Wilayah { $region } tidak termasuk dalam promo ini.
inelig-store = { $store } bukan toko mitra MSI untuk promo ini di wilayah { $region }.
inelig-deadline = Batas waktu klaim ({ $deadline }) sudah lewat.


## Bahasa

lang-ask = Kakak mau lanjut pakai bahasa apa?
lang-switched = Oke Kak, kita lanjut pakai Bahasa Indonesia ya.


## Langganan info promo

subscribe-done = Siap, Kak! Kakak sudah berlangganan info promo MSI. Nanti saya kabari kalau ada promo baru. Mau berhenti? Ketik /unsubscribe kapan saja.
subscribe-already = Kakak sudah berlangganan info promo kok. 😊 Kalau mau berhenti, ketik /unsubscribe ya.
unsubscribe-done = Oke Kak, langganan info promo sudah dihentikan. Saya tidak akan kirim info promo lagi. Kalau mau langganan lagi, ketik /subscribe ya.
unsubscribe-already = Kakak memang sedang tidak berlangganan info promo. Kalau mau dapat kabar promo terbaru, ketik /subscribe ya.


## Bicara dengan tim CS

agent-requested = Siap, Kak! Permintaan Kakak sudah kami catat dengan nomor tiket #{ $ticket }. Tim CS kami akan membalas langsung di chat ini ya.
agent-after-fallbacks = Mohon maaf, Kak, saya belum bisa bantu untuk itu. 🙏 Pertanyaan Kakak sudah saya teruskan ke tim CS dengan nomor tiket #{ $ticket }; tim kami akan membalas langsung di chat ini ya.
agent-wait-open = Biasanya tim CS kami membalas dalam { $minutes } menit. Pesan yang Kakak kirim di sini sambil menunggu juga akan kami teruskan ke mereka.
agent-wait-closed = Tim CS kami bertugas Senin sampai Jumat, pukul { $opens }–{ $closes } WIB, jadi balasan akan datang mulai { $date }, pukul { $time } WIB. Pesan yang Kakak kirim di sini sambil menunggu juga akan kami teruskan ke mereka.
agent-already-open = Tiket #{ $ticket } Kakak masih terbuka: tim CS akan membalas di sini ya. Pesan yang Kakak kirim akan kami teruskan ke mereka; ketik /menu untuk kembali ke menu asisten.
agent-forwarded = ✉️ Sudah diteruskan ke tim CS (tiket #{ $ticket }).
chat-agent-reply = 💬 { $agent } (CS MSI): { $text }
chat-escalation-closed = Tiket #{ $ticket } sudah ditutup. Terima kasih, Kak! Kalau perlu bantuan tim CS lagi, ketik /agent ya.

## Command menu descriptions (Telegram setMyCommands)
cmd-start = Menu utama
cmd-faq = Pertanyaan umum
cmd-status = Cek status redeem: /status S/N CHK
cmd-promos = Promo yang sedang berjalan
cmd-lang = Ganti bahasa: /lang id | en
cmd-subscribe = Langganan info promo
cmd-unsubscribe = Berhenti langganan info promo
cmd-agent = Bicara dengan CS
cmd-help = Bantuan

## Menghubungkan chat dengan akun member (lewat kode yang dikirim ke email)

channel-telegram = Telegram
channel-discord = Discord
channel-console = baris perintah
cmd-link = Hubungkan akun member MSI: /link EMAIL
cmd-verify = Masukkan kode dari email: /verify KODE
link-ask-email = Silakan kirim alamat email akun MSI Member Center Kakak. Saya akan mengirim kode ke email itu untuk menghubungkan chat ini dengan akun Kakak, jadi Kakak bisa cek semua klaim tanpa kode CHK.
link-bad-email = Hmm, sepertinya itu bukan alamat email. Kirim seperti ini ya: /link nama@contoh.com
link-code-sent = Kalau { $email } terdaftar di MSI Member Center, kode 6 angka sedang dikirim ke sana. Kirim kodenya di sini seperti ini ya: /verify 123456. Kode berlaku { $minutes } menit. Cek juga folder Spam kalau belum ketemu.
verify-ask-code = Silakan kirim kode 6 angka dari email, seperti ini: /verify 123456
verify-no-code = Belum ada kode yang menunggu untuk chat ini. Kirim /link diikuti alamat email akun Kakak untuk mendapatkan kode.
verify-wrong = Kodenya belum tepat. Kakak masih punya { $left } kesempatan lagi.
verify-locked = Terlalu banyak kode yang salah. Demi keamanan, kode ini tidak berlaku lagi: kirim /link EMAIL untuk mendapatkan kode baru.
verify-expired = Kode itu sudah kedaluwarsa. Kirim /link EMAIL untuk mendapatkan kode baru.
link-done = Berhasil! Chat ini sekarang terhubung dengan { $email }. Kakak bisa cek { $products } produk terdaftar Kakak dengan /status S/N, tanpa kode CHK.

## Emails. Each email is a subject and paragraphs; the HTML part is built from
## the same paragraphs. Reasons and rewards reuse the messages above.

email-greeting = Halo { $name },
email-signature =
    Salam hangat,
    Tim Promosi MSI Indonesia
email-automated = Email ini dikirim otomatis oleh layanan promosi MSI Indonesia.

email-rejection-subject = [RDM-{ $id }] Klaim { $promotion } Anda perlu diperbaiki
email-rejection-intro = Kami sudah memeriksa klaim RDM-{ $id } untuk { $promotion } (produk { $model }, S/N { $serial }), dan mohon maaf, klaim ini belum bisa kami setujui.
email-rejection-reason = Alasan: { $reason }
email-rejection-note = Catatan dari tim kami: { $note }
email-rejection-how =
    Cara memperbaikinya (pilih salah satu):
    1. Balas email ini dengan melampirkan invoice yang sudah benar (JPG, PNG, GIF atau PDF). Biarkan "[RDM-{ $id }]" tetap ada di subjek. Klaim Anda akan otomatis masuk antrean pemeriksaan lagi.
    2. Atau masuk ke MSI Member Center (https://account.msi.com/), buka Promotions → "Redeem History", upload ulang dokumennya, lalu klik "Redeem Again".
email-rejection-deadline = Mohon perbaiki sebelum batas akhir klaim promosi ini, { $deadline }.

email-resubmitted-subject = [RDM-{ $id }] Dokumen perbaikan { $promotion } Anda sudah kami terima
email-resubmitted-body = Permintaan Anda berhasil dikirim. Terima kasih telah mengirimkan permintaan redeem untuk { $promotion } (RDM-{ $id }). Proses verifikasi membutuhkan waktu 7–14 hari kerja.
email-spam-hint = Email dari kami kadang masuk ke folder Spam atau Junk: mohon cek juga folder tersebut, dan tandai sebagai "bukan spam".

email-approved-subject = [RDM-{ $id }] Klaim { $promotion } Anda disetujui
email-approved-body = Kabar baik! Klaim RDM-{ $id } untuk { $promotion } (produk { $model }, S/N { $serial }) sudah disetujui. Hadiah Anda: { $reward }.
email-approved-digital = Kode digital dikirim lewat email di akhir periode promosi ({ $end }), setelah konfirmasi akhir dari MSI.
email-approved-gift = Hadiah fisik dikirim ke alamat penerima di klaim Anda dalam 8–12 minggu setelah disetujui.

email-reward-sent-subject = [RDM-{ $id }] Hadiah { $promotion } Anda sudah dikirim
email-reward-sent-body = Hadiah untuk klaim RDM-{ $id } ({ $promotion }) sudah dikirim: { $reward }.
email-reward-sent-check = Kalau belum menemukannya, mohon cek semua folder email Anda (Spam, Junk, Trash, Archive) sebelum menghubungi kami.

email-unusable-subject = [RDM-{ $id }] Balasan Anda untuk { $promotion } belum bisa kami pakai
email-unusable-intro = Terima kasih atas balasan Anda untuk klaim RDM-{ $id } ({ $promotion }). Sayangnya balasan tersebut belum bisa kami pakai untuk memperbaiki klaim, jadi klaim Anda masih menunggu dokumen yang benar.
email-unusable-no-files = Balasan Anda tidak ada lampirannya. Mohon lampirkan invoice yang sudah benar atau foto S/N-nya langsung.
email-unusable-file = { $filename }: { $problem }
email-unusable-how = Mohon balas email ini lagi dengan melampirkan file dalam format JPG, PNG, GIF, PDF atau foto iPhone (HEIC), maksimal 20 MB per file, dan biarkan "[RDM-{ $id }]" tetap ada di subjek. Anda juga bisa upload ulang di MSI Member Center (https://account.msi.com/) lalu klik "Redeem Again".
email-precheck-subject = [RDM-{ $id }] Mohon cek invoice Anda untuk { $promotion } sebelum kami teruskan ke verifikasi
email-precheck-intro = Terima kasih atas file untuk klaim RDM-{ $id } ({ $promotion }). Sebelum diteruskan ke tim verifikasi, file tersebut kami baca dulu, dan ada hal yang biasanya membuat invoice ditolak:
email-precheck-problem = • { $problem }
email-precheck-how = Jika dikirim apa adanya lalu ditolak, Anda bisa menunggu 7–14 hari kerja lagi. Mohon balas email ini dengan invoice yang benar, dan biarkan "[RDM-{ $id }]" tetap ada di subjek. Jika Anda yakin file-nya sudah benar, balas dengan kata KIRIM dan kami masukkan ke antrean verifikasi apa adanya; keputusan tetap di tangan tim verifikasi.
file-problem-executable = ini file program, bukan dokumen, jadi tidak kami buka.
file-problem-archive = ini file arsip terkompresi (ZIP, RAR, 7z…); mohon lampirkan foto atau PDF-nya langsung.
file-problem-unsupported-type = jenis file ini tidak bisa kami baca; mohon kirim foto (JPG, PNG) atau PDF.
file-problem-name-does-not-match-content = nama file tidak sesuai dengan isinya (misalnya foto yang diberi nama .pdf); mohon lampirkan file aslinya.
file-problem-empty = file ini kosong.
file-problem-too-large = ukuran file lebih dari 20 MB; mohon kirim foto atau PDF yang lebih kecil.
file-problem-too-many-files = terlalu banyak file dalam satu email (maksimal 10); mohon kirim invoice dan foto S/N saja.
file-problem-nested-too-deep = file ini ada di dalam terlalu banyak email terusan; mohon lampirkan file-nya langsung.
file-problem-unreadable = gambar atau file ini tidak bisa kami buka; mohon kirim foto yang jelas (JPG, PNG) atau PDF.
file-problem-image-too-large = resolusi gambar ini terlalu besar untuk kami buka; mohon perkecil dulu ke lebar maksimal 1600 px sesuai panduan, lalu kirim lagi.

email-link-subject = Kode verifikasi Anda: { $code }
email-link-body = Ada permintaan (semoga dari Anda) untuk menghubungkan chat { $channel } dengan akun promosi MSI Anda. Kode verifikasi Anda: { $code }. Kirim "/verify { $code }" di chat. Kode berlaku { $minutes } menit.
email-link-ignore = Kalau Anda tidak memintanya, abaikan saja email ini: tidak ada yang berubah tanpa kode tersebut.
email-status-subject = [RDM-{ $id }] Status klaim { $promotion } Anda
email-status-intro = Terima kasih atas email Anda tentang klaim RDM-{ $id } ({ $promotion }). Berikut status klaim tersebut saat ini:
chat-mail-resubmitted = Kak, dokumen perbaikan yang Kakak kirim lewat email untuk klaim RDM-{ $id } ({ $promotion }) sudah kami terima. Klaimnya sudah masuk lagi ke antrean verifikasi; prosesnya 7–14 hari kerja.
status-reupload-hint = 📎 Kakak juga bisa kirim foto atau PDF yang sudah diperbaiki untuk RDM-{ $id } langsung di chat ini: nanti saya lampirkan ke klaimnya dan klaimnya masuk verifikasi lagi.
reupload-received = Terima kasih, Kak! 📎 File-nya sudah terlampir di RDM-{ $id } ({ $promotion }) dan klaimnya sudah masuk antrean verifikasi lagi. Prosesnya 7–14 hari kerja; konfirmasinya juga kami kirim lewat email.
reupload-unusable = Maaf Kak, file ini belum bisa dipakai untuk RDM-{ $id }: { $problem } Mohon kirim foto yang jelas (JPG, PNG) atau PDF dokumen yang sudah diperbaiki.
reupload-precheck = File yang Kakak kirim untuk RDM-{ $id } sudah saya baca sebelum diteruskan, dan ada hal yang biasanya membuat invoice ditolak:
reupload-precheck-choice = Kalau ditolak, Kakak harus menunggu 7–14 hari kerja lagi. Kakak bisa kirim file lain di sini sekarang, atau kirim file ini apa adanya (keputusan tetap di tim verifikasi).
reupload-send-another = Baik, silakan kirim file lain untuk RDM-{ $id } di sini (foto yang jelas atau PDF).
btn-submit-as-is = 📤 Kirim apa adanya
btn-send-another = 📎 Kirim file lain
precheck-model-missing = nama produknya ({ $model }) tidak tercantum
precheck-date-outside = tanggal pembelian di invoice, { $date }, di luar periode promo ({ $from } – { $to })

private-only = Demi privasi Anda, saya hanya mengecek klaim di chat pribadi: kirimkan pesan langsung kepada saya dan saya cek di sana.
private-only-discord = Demi privasi Anda, saya hanya mengecek klaim di tempat yang tidak terlihat orang lain: gunakan /status (hanya Anda yang melihat jawabannya) atau kirimkan pesan langsung kepada saya.

# Perintah slash Discord. Nama: huruf kecil, tanpa spasi, paling banyak 32
# karakter; deskripsi paling banyak 100 karakter.
dc-menu = menu
dc-menu-desc = Menu utama
dc-faq = faq
dc-faq-desc = Pertanyaan umum
dc-status = cek-status
dc-status-desc = Cek status redeem dengan nomor seri (hanya Anda yang melihat jawabannya)
dc-lang = bahasa
dc-lang-desc = Ganti bahasa jawaban saya
dc-promos = promo
dc-promos-desc = Promo yang sedang berjalan
dc-subscribe = langganan
dc-subscribe-desc = Langganan info promo
dc-unsubscribe = berhenti-langganan
dc-unsubscribe-desc = Berhenti langganan info promo
dc-agent = cs
dc-agent-desc = Bicara dengan customer service kami
dc-link = hubungkan
dc-link-desc = Hubungkan akun member MSI Anda lewat email
dc-verify = verifikasi
dc-verify-desc = Masukkan kode dari email
dc-opt-serial = nomor-seri
dc-opt-serial-desc = Nomor seri (S/N) produk, seperti pada stikernya
dc-opt-chk = chk
dc-opt-chk-desc = Kode CHK 3 digit yang tercetak di samping nomor seri
dc-opt-language = bahasa
dc-opt-language-desc = Bahasa Indonesia atau English
dc-opt-message = pesan
dc-opt-message-desc = Apa yang perlu dibantu
dc-opt-email = email
dc-opt-email-desc = Alamat email akun member MSI Anda
dc-opt-code = kode
dc-opt-code-desc = Kode dari email
dc-topic-placeholder = Pilih topik
chat-decision-approved = 🎉 Kabar baik: klaim RDM-{ $id } ({ $promotion }) Kakak sudah disetujui. Detailnya ada di email yang baru kami kirim.
chat-decision-rejected = Klaim RDM-{ $id } ({ $promotion }) Kakak perlu diperbaiki: { $reason } Buka dengan /status lalu kirim foto atau PDF yang sudah diperbaiki di chat ini, atau balas email yang kami kirim.


## Broadcasts (marketing announcements to subscribers)

broadcast-announcement =
    📣 Promo MSI baru: { $name }
    { $description }

    Periode pembelian: { $start } – { $end }
    Batas klaim: { $deadline }
    Kategori yang berlaku: { $categories }
    Hadiah: { $rewards }

    Cara redeem: daftarkan produk Kakak di https://account.msi.com/ (My Products) beserta invoice dan foto nomor seri, lalu buka Promotions, pilih "{ $name }" dan klik "Redeem". Verifikasi butuh 7–14 hari kerja.

    Kakak menerima pesan ini karena berlangganan info promo MSI. Kirim /unsubscribe untuk berhenti.
