from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional


class OrganisationForm(FlaskForm):
    name = StringField("Tên cơ quan, tổ chức", validators=[DataRequired(), Length(max=255)])
    parent_name = StringField("Tên cơ quan chủ quản (cấp trên)", validators=[Optional(), Length(max=255)])
    abbreviation = StringField("Chữ viết tắt (dùng trong ký hiệu)", validators=[DataRequired(), Length(max=32)])
    place_name = StringField("Địa danh (dòng ngày tháng)", validators=[DataRequired(), Length(max=128)])
    organ_id = StringField("Mã định danh điện tử (OrganId)", validators=[Optional(), Length(max=64)])
    email = StringField("E-mail", validators=[Optional(), Length(max=255)])


class UnitForm(FlaskForm):
    name = StringField("Tên đơn vị", validators=[DataRequired(), Length(max=255)])
    abbreviation = StringField("Chữ viết tắt", validators=[DataRequired(), Length(max=32)])
    active = BooleanField("Đang hoạt động", default=True)
