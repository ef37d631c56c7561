app_name = "dms_sync"

urlpatterns = []
