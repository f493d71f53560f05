"""Stop reading an upload that is over the limit, before it is written anywhere.

Django would otherwise spool any size of file to a temporary file before the view sees it.
Counting the file's own bytes (not the request's length) lets the fields before it, such as
the CSRF token, arrive intact, so the view can tell the district the limit in plain words.
"""
from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .http import UploadRequest


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.WORKBOOK_MAX_UPLOAD_BYTES:
            # Django hands every handler built from settings the request being read.
            cast(UploadRequest, self.request).upload_too_large = True
            raise StopUpload(connection_reset=False)  # read and discard the rest of the body
        return raw_data  # pass it on to the memory or temporary-file handler

    def file_complete(self, file_size):
        return None
