"""User-facing strings, Vietnamese first, English for clients whose language starts with "en"."""

from __future__ import annotations

VI, EN = "vi", "en"


def lang_of(language_code: str | None) -> str:
    return EN if (language_code or "").lower().startswith("en") else VI


_STRINGS: dict[str, tuple[str, str]] = {
    # --- general ---
    "welcome": (
        "Xin chào! Tôi cho biết các kênh thông tin chính thức hiện hành của 34 tỉnh, thành phố: fanpage Facebook, "
        "Zalo OA, cổng thông tin, kèm mã QR và văn bản thông báo.",
        "Hello! I give the current official information channels of Vietnam's 34 provinces and cities: Facebook "
        "pages, Zalo Official Accounts, portals, with QR codes and the notice that announced them.",
    ),
    "help_title": ("Cách dùng", "How to use"),
    "help_channels": ("/channels <tỉnh> — các kênh chính thức và mã QR", "/channels <province> — official channels and QR"),
    "help_notice": ("/notice <tỉnh> — văn bản thông báo các kênh", "/notice <province> — the notices that announced them"),
    "help_verify": ("/verify <đường dẫn> — kiểm tra một đường dẫn có chính thức không",
                    "/verify <link> — check whether a link is official"),
    "help_help": ("/help — hướng dẫn này", "/help — this help"),
    "help_examples": ("Ví dụ: /channels cần thơ · /notice bến tre · /verify https://zalo.me/3460461954401350861",
                      "Examples: /channels can tho · /notice ben tre · /verify https://zalo.me/3460461954401350861"),
    "help_inline": ("Trong nhóm: gõ @{bot} <tỉnh> để chia sẻ thẻ kênh.",
                    "In a group: type @{bot} <province> to share a channel card."),
    "help_admin": ("Quản trị: /addchannel, /editchannel, /retirechannel, /addnotice, /history, /undo, /export, "
                   "/import, /admins, /grant, /revoke",
                   "Admin: /addchannel, /editchannel, /retirechannel, /addnotice, /history, /undo, /export, /import, "
                   "/admins, /grant, /revoke"),
    "unknown_command": ("Tôi không hiểu lệnh {cmd}. Gõ /help để xem các lệnh.",
                        "I don't know the command {cmd}. Type /help to see the commands."),
    "error": ("Xin lỗi, đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau.",
              "Sorry, something went wrong. Please try again later."),
    "ask_province": ("Bạn muốn xem tỉnh, thành phố nào? Chọn bên dưới hoặc gõ /channels <tên tỉnh>.",
                     "Which province or city? Pick one below or type /channels <province>."),
    "ask_province_notice": ("Bạn muốn xem văn bản của tỉnh, thành phố nào? Gõ /notice <tên tỉnh>, ví dụ /notice cần thơ.",
                            "Which province or city? Type /notice <province>, e.g. /notice can tho."),
    "page": ("Trang {page}/{pages}", "Page {page}/{pages}"),
    "prev": ("« Trước", "« Prev"),
    "next": ("Sau »", "Next »"),
    # --- resolver ---
    "not_found": ("Không tìm thấy tỉnh, thành phố nào khớp với “{query}”.",
                  "No province or city matches “{query}”."),
    "suggest": ("Có phải bạn muốn tìm: {names}?", "Did you mean: {names}?"),
    "try_list": ("Gõ /channels để xem danh sách 34 tỉnh, thành phố.", "Type /channels for the list of the 34 units."),
    "choose": ("“{query}” có thể là nhiều nơi. Bạn muốn xem:", "“{query}” could be several places. Which one?"),
    "understood": ("(Hiểu là: {name})", "(Understood as: {name})"),
    "merged": ("{old} (cũ) đã hợp nhất vào {new} từ ngày {date}.", "Former {old} merged into {new} on {date}."),
    "former_suffix": (" (cũ)", " (former)"),
    "includes": ("Gồm địa bàn các tỉnh cũ: {names}", "Includes the former provinces: {names}"),
    # --- channels ---
    "unit_title": ("Kênh thông tin chính thức — {name}", "Official channels — {name}"),
    "no_channels": ("Chưa có kênh chính thức nào của {name} trong sổ đăng ký.",
                    "No official channel of {name} is registered yet."),
    "channel_of_former": ("của {old} (cũ)", "of former {old}"),
    "source": ("Nguồn: {notice}", "Source: {notice}"),
    "as_of": ("Cập nhật: {date}", "As of: {date}"),
    "no_source": ("Nguồn: chưa ghi nhận văn bản", "Source: no notice recorded"),
    "share": ("Chia sẻ vào nhóm", "Share to a group"),
    "inline_help": ("Hướng dẫn sử dụng bot", "How to use this bot"),
    "short_description": ("Kênh thông tin chính thức của 34 tỉnh, thành phố — đường dẫn, mã QR, văn bản.",
                          "Official channels of Vietnam's 34 provinces — links, QR codes, notices."),
    "confirm": ("✅ Xác nhận", "✅ Confirm"),
    "cancel": ("✖ Hủy", "✖ Cancel"),
    "open": ("Mở {platform}", "Open {platform}"),
    "see_notice": ("Xem văn bản", "See the notice"),
    "see_channels": ("Xem kênh và mã QR", "See channels and QR"),
    # --- notices ---
    "notice_title": ("Văn bản về kênh thông tin — {name}", "Notices on official channels — {name}"),
    "no_notices": ("Chưa có văn bản nào của {name} trong sổ đăng ký.", "No notice of {name} is registered yet."),
    "issuer": ("Cơ quan ban hành: {v}", "Issued by: {v}"),
    "number": ("Số: {v}", "Number: {v}"),
    "date": ("Ngày: {v}", "Date: {v}"),
    "subject": ("Trích yếu: {v}", "Subject: {v}"),
    "summary": ("Nội dung: {v}", "Summary: {v}"),
    "signer": ("Người ký: {v}", "Signed by: {v}"),
    "managing_unit": ("Đơn vị quản lý vận hành: {v}", "Managed by: {v}"),
    "address": ("Địa chỉ: {v}", "Address: {v}"),
    "phone": ("Điện thoại: {v}", "Phone: {v}"),
    "emails": ("Thư điện tử: {v}", "E-mail: {v}"),
    "recipients": ("Kính gửi: {v}", "To: {v}"),
    "announced": ("Các kênh được thông báo:", "Channels announced:"),
    "link": ("Văn bản: {v}", "Document: {v}"),
    "unknown_number": ("(số chưa ghi)", "(number left blank)"),
    "month_year": ("tháng {m}/{y}", "{m}/{y}"),
    "day_unknown": (" (không ghi ngày)", " (day left blank)"),
    # --- verify ---
    "verify_usage": ("Gửi kèm đường dẫn cần kiểm tra, ví dụ: /verify https://zalo.me/3460461954401350861",
                     "Send the link to check, e.g. /verify https://zalo.me/3460461954401350861"),
    "verdict_official": ("✅ CHÍNH THỨC — {name}", "✅ OFFICIAL — {name}"),
    "verdict_superseded": ("⚠️ KHÔNG CÒN SỬ DỤNG — đã được thay thế", "⚠️ NO LONGER IN USE — superseded"),
    "verdict_retired": ("⚠️ KHÔNG CÒN SỬ DỤNG — kênh đã ngừng", "⚠️ NO LONGER IN USE — retired"),
    "verdict_unregistered": ("❓ CHƯA ĐĂNG KÝ — không có trong sổ kênh chính thức",
                             "❓ NOT REGISTERED — not in the registry of official channels"),
    "verdict_refused": ("⛔ ĐƯỜNG DẪN KHÔNG HỢP LỆ", "⛔ NOT A VALID LINK"),
    "superseded_by": ("Thay bằng: {url}", "Replaced by: {url}"),
    "belongs_to": ("Đơn vị: {name}", "Unit: {name}"),
    "unregistered_hint": ("Đừng tin đường dẫn này là kênh chính thức. Xem kênh chính thức bằng /channels <tỉnh>.",
                          "Do not treat this link as official. See the official channels with /channels <province>."),
    "canonical": ("Địa chỉ chuẩn: {url}", "Canonical address: {url}"),
    # --- link refusals (LinkError.code) ---
    "link_empty": ("Đường dẫn trống.", "The link is empty."),
    "link_too_long": ("Đường dẫn quá dài (tối đa {detail} ký tự).", "The link is too long (at most {detail} characters)."),
    "link_control_chars": ("Đường dẫn chứa ký tự ẩn hoặc khoảng trắng.",
                           "The link contains hidden characters or spaces."),
    "link_backslash": ("Đường dẫn chứa dấu “\\” — thường dùng để đánh lừa trình duyệt.",
                       "The link contains a backslash, a common trick to mislead browsers."),
    "link_non_ascii": ("Tên miền chứa ký tự không phải Latin cơ bản — có thể là tên miền giả mạo.",
                       "The address contains non-Latin characters — possibly a look-alike domain."),
    "link_not_https": ("Chỉ chấp nhận đường dẫn https:// (đường dẫn này dùng {detail}).",
                       "Only https:// links are accepted (this one uses {detail})."),
    "link_malformed": ("Đây không phải một đường dẫn hợp lệ.", "This is not a valid link."),
    "link_userinfo": ("Đường dẫn có phần “tên@” trước tên miền — thủ đoạn giả mạo: trang thật nằm sau dấu @.",
                      "The link has a “name@” part before the host — a trick: the real site is after the @."),
    "link_port": ("Đường dẫn chỉ định cổng mạng riêng — kênh chính thức không dùng.",
                  "The link names a network port — official channels never do."),
    "link_ip_host": ("Đường dẫn dùng địa chỉ IP thay cho tên miền.", "The link uses an IP address instead of a domain."),
    "link_punycode": ("Tên miền mã hóa punycode ({detail}) — thường là tên miền giả mạo.",
                      "Punycode domain ({detail}) — usually a look-alike."),
    "link_lookalike": ("Tên miền trông giống {detail} nhưng KHÔNG phải {detail} — có thể là trang giả mạo.",
                       "The domain looks like {detail} but is NOT {detail} — possibly a fake site."),
    "link_unknown_host": ("{detail} không phải nền tảng được hỗ trợ (Facebook, Zalo, YouTube, TikTok, cổng .gov.vn).",
                          "{detail} is not a supported platform (Facebook, Zalo, YouTube, TikTok, .gov.vn portals)."),
    "link_no_page": ("Đường dẫn {detail} này không trỏ tới một trang/tài khoản cụ thể.",
                     "This {detail} link does not point to a specific page or account."),
    "link_bad_path": ("Đường dẫn chứa ký tự hoặc đoạn không hợp lệ.", "The link's path has invalid characters or parts."),
}


def t(key: str, lang: str, **kwargs: object) -> str:
    vi, en = _STRINGS[key]
    text = en if lang == EN else vi
    return text.format(**kwargs) if kwargs else text


def has(key: str) -> bool:
    return key in _STRINGS

