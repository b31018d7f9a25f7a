"""Forms of the web roster import: upload, then import all-or-nothing or only the good rows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired


def _year(value: object) -> int | None:
    """A programme year from the select; its empty first option (required by HTML) is no year."""
    return None if value in ("", None) else int(str(value))


class UploadForm(FlaskForm):
    # the first option is an empty placeholder, as HTML requires of a required select
    programme = SelectField(_l("统保年度"), coerce=_year, validators=[DataRequired(_l("请选择统保年度"))])
    file = FileField(
        _l("名单文件"),
        validators=[
            FileRequired(_l("请选择要上传的文件")),
            FileAllowed(["xlsx", "csv"], _l("只接受 .xlsx 或 .csv 文件")),
        ],
    )
    submit = SubmitField(_l("上传并检查"))


class ApplyForm(FlaskForm):
    # rows whose only problem is the check digit, accepted after checking the business licence
    accept = SelectMultipleField(_l("已核对营业执照，接受此代码"), coerce=int, choices=[], validate_choice=True)
    # where the rows land: a draft roster's id, or "new" (a new roster after the last one)
    target = RadioField(_l("导入到"), choices=[], validators=[DataRequired(_l("请选择导入到哪份名单"))])
    submit_all = SubmitField(_l("导入"))
    submit_good = SubmitField(_l("只导入无误的行"))
