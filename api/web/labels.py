"""What the pages call things, in Vietnamese: event types, bodies, offices, rules, courses.

The verdict's own words (statuses, outcomes) come from ``ledger.rules.text`` so the pages,
the CLI and the verdict engine never disagree; this module adds the names only the pages need.
"""

from __future__ import annotations

EVENT_VI = {
    "place.registered": "Đăng ký địa bàn",
    "body.enrolled": "Ghi danh cơ quan",
    "key.rotated": "Thay khóa ký",
    "key.revoked": "Thu hồi khóa ký",
    "person.profiled": "Cập nhật lý lịch",
    "personnel.nominated": "Chi bộ giới thiệu nhân sự",
    "waiver.granted": "Quyết định miễn tiêu chuẩn",
    "election.ordered": "Quyết định tổ chức bầu cử",
    "candidates.drafted": "Ban CTMT lập danh sách dự kiến",
    "candidates.agreed": "Chi bộ thống nhất giới thiệu",
    "candidates.finalised": "Ban CTMT chốt danh sách chính thức",
    "election.team_formed": "Thành lập tổ bầu cử",
    "election.notice_posted": "Niêm yết, thông báo bầu cử",
    "election.counted": "Biên bản kiểm phiếu bầu trưởng thôn",
    "election.recognised": "Công nhận trưởng thôn",
    "election.rerun_ordered": "Quyết định bầu lại",
    "head.acting_appointed": "Cử trưởng thôn tạm thời",
    "head.removal_recognised": "Công nhận thôi làm trưởng thôn",
    "front.head_chosen": "Chọn trưởng Ban công tác Mặt trận",
    "congress.held": "Đại hội chi bộ",
    "congress.counted": "Kiểm phiếu đại hội chi bộ",
    "congress.reported": "Báo cáo kết quả đại hội",
    "congress.approved": "Chuẩn y kết quả đại hội",
    "congress.annulled": "Hủy kết quả đại hội",
    "congress.appointed": "Chỉ định cấp ủy",
    "training.completed": "Hoàn thành bồi dưỡng",
    "front.observation": "Ý kiến giám sát của Mặt trận",
    "inspection.finding": "Kết luận kiểm tra",
    "correction.recorded": "Đính chính",
    "attendance.planned": "Kế hoạch dự sinh hoạt chi bộ",
    "attendance.recorded": "Dự sinh hoạt chi bộ",
    "attendance.reported": "Báo cáo dự sinh hoạt chi bộ",
}

BODY_KIND_VI = {
    "root": "Ban tổ chức tỉnh",
    "district_standing": "Ban Thường vụ Huyện ủy",
    "commune_committee": "UBND xã",
    "commune_front": "Ban Thường trực UBMTTQ xã",
    "village_front": "Ban công tác Mặt trận thôn",
    "election_team": "Tổ bầu cử",
    "cell": "Chi bộ",
    "commune_party": "Đảng ủy xã",
    "training_center": "Trung tâm Chính trị",
    "inspection": "Ủy ban Kiểm tra",
}

CONGRESS_OFFICE_VI = {"committee": "chi ủy", "secretary": "bí thư", "deputy": "phó bí thư"}

RULE_VI = {
    "E-PLAN": "Quyết định và kế hoạch bầu cử",
    "E-TEAM": "Thành lập tổ bầu cử",
    "E-NOTICE": "Niêm yết, thông báo",
    "E-LIST": "Danh sách người ứng cử (ba bước)",
    "E-QUORUM": "Quá nửa số hộ dự họp",
    "E-TALLY": "Biên bản kiểm phiếu khớp số",
    "E-WINNER": "Người trúng cử quá nửa số hộ",
    "E-RECOGNISE": "Công nhận kết quả đúng hạn",
    "E-REELECT": "Bầu lại khi không ai trúng cử",
    "E-STANDARD": "Tiêu chuẩn trưởng thôn",
    "E-REMOVAL": "Thôi làm, bãi nhiệm trưởng thôn",
    "C-STRUCTURE": "Cơ cấu chi ủy, bí thư, phó bí thư",
    "C-SEPARATE": "Bầu riêng từng chức danh",
    "C-ELIGIBLE": "Chỉ đảng viên chính thức bầu và ứng cử",
    "C-WINNER": "Trúng cử quá nửa số đảng viên",
    "C-ROUNDS": "Bầu bí thư quá ba lần",
    "C-REPORT": "Báo cáo kết quả đại hội đúng hạn",
    "C-APPROVE": "Chuẩn y đúng hạn",
    "C-TERM": "Nhiệm kỳ đại hội chi bộ",
    "P-NOMINEE": "Chi bộ giới thiệu người ứng cử",
    "P-CRITERIA": "Tiêu chuẩn của mô hình thí điểm",
    "P-WAIVER": "Miễn tiêu chuẩn",
    "P-LEAD-TIME": "Chuẩn bị nhân sự đủ sớm",
    "P-ORDER": "Bầu trưởng thôn trước đại hội chi bộ",
    "P-SAME-PERSON": "Ý Đảng – lòng Dân là một",
    "P-ONE-DAY": "Bầu cử cùng một ngày Chủ nhật",
    "P-TERM": "Nhiệm kỳ trưởng thôn khớp chi bộ",
}

#: A verdict the views could not compute (``projections.views.UNAVAILABLE``), as the pages say it.
UNAVAILABLE_VI = "không tính được (lỗi chương trình)"
SEVERITY_VI = {"info": "ghi nhận", "warning": "cần khắc phục", "breach": "vi phạm"}
PLACE_KIND_VI = {"thon": "Thôn", "tdp": "Tổ dân phố", "commune": "Xã", "townlet": "Thị trấn", "ward": "Phường",
                 "district": "Huyện", "town": "Thị xã", "province": "Tỉnh"}


def event_vi(event_type: str) -> str:
    return EVENT_VI.get(event_type, event_type)


def body_kind_vi(kind: str | None) -> str:
    return BODY_KIND_VI.get(kind or "", kind or "không rõ")
