from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from edoc.accounts.models import ROLE_LABELS, USERNAME_MAX
from edoc.core.forms import options


class LoginForm(FlaskForm):
    # The service accepts any text here (see accounts.service._sign_in_name); these limits only keep the work
    # bounded, with a message in the user's language rather than WTForms' English default.
    username = StringField("Tên đăng nhập", validators=[
        DataRequired("Nhập tên đăng nhập."),
        Length(max=USERNAME_MAX, message=f"Tên đăng nhập dài quá {USERNAME_MAX} ký tự.")])
    password = PasswordField("Mật khẩu", validators=[
        DataRequired("Nhập mật khẩu."), Length(max=256, message="Mật khẩu dài quá 256 ký tự.")])
    remember = BooleanField("Ghi nhớ đăng nhập")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Mật khẩu hiện tại", validators=[DataRequired()])
    new_password = PasswordField("Mật khẩu mới", validators=[DataRequired(), Length(max=256)])
    # Unticked (or absent from the request) means the tokens are revoked: revocation is the default.
    keep_api_tokens = BooleanField("Giữ các mã truy cập API đang dùng (mặc định: thu hồi tất cả)")


class TokenForm(FlaskForm):
    name = StringField("Tên mã truy cập", validators=[DataRequired("Đặt tên cho mã."), Length(max=128)])


class SignatureImageForm(FlaskForm):
    image = FileField("Ảnh chữ ký (PNG nền trong suốt)", validators=[FileRequired("Chọn tệp ảnh PNG.")])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired(), Length(max=USERNAME_MAX)])
    full_name = StringField("Họ và tên", validators=[DataRequired(), Length(max=255)])
    title = StringField("Chức vụ", validators=[Optional(), Length(max=255)])
    email = StringField("E-mail", validators=[Optional(), Length(max=255)])
    unit_id = SelectField("Đơn vị", coerce=str, validate_choice=False)
    roles = MultiCheckboxField("Vai trò", choices=options((r.value, label) for r, label in ROLE_LABELS.items()),
                               validate_choice=False)
    active = BooleanField("Đang hoạt động", default=True)
    password = PasswordField("Mật khẩu (để trống nếu không đổi)", validators=[Optional(), Length(max=256)])
