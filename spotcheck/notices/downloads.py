"""How a notice's attachment is sent, to staff and to the public alike."""

from django.http import FileResponse

from spotcheck.notices.models import NoticeAttachment


def download(kept: NoticeAttachment) -> FileResponse:
    """Return an attachment as a download of its own type (read from its content), never sniffed."""
    response = FileResponse(kept.file.open("rb"), content_type=kept.content_type, as_attachment=True,
                            filename=kept.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
