"""Tests of the file storage backends the app runs on."""
