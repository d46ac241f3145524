from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    """Django's own, loading the signed-in person's organization with them: nearly every page reads its settings."""

    def get_user(self, user_id):
        from .models import User

        user = User._default_manager.select_related("organization").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
